#!/usr/bin/env bash
# Spark GPU discovery script (spark.{worker,executor}.resource.gpu.discoveryScript): prints this machine's
# GPU indices as Spark's ResourceInformation JSON, e.g. {"name": "gpu", "addresses": ["0","1"]}.
set -euo pipefail
ids=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | paste -sd, - | sed 's/[^,][^,]*/"&"/g')
echo "{\"name\": \"gpu\", \"addresses\": [${ids}]}"
