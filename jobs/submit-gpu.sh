#!/usr/bin/env bash
# Run a gradsweep sweep under spark-submit on a Spark 3.5.x (Scala 2.12) cluster whose workers have NVIDIA GPUs.
# Builds nothing.
#
#   mvn -Pcuda,cluster clean package   # once: target/gradsweep-<version>-cluster.jar with ND4J's CUDA 11.6 backend
#   java -cp target/gradsweep-*-cluster.jar:$SPARK_HOME/jars/* dev.gradsweep.cli.Main doctor   # on one GPU worker, first
#   SPARK_HOME=/opt/spark MASTER=spark://head:7077 RUNS_PER_GPU=4 \
#     jobs/submit-gpu.sh --grid conf/grids/quick.yaml --out /shared/results/quick
#
# Every argument goes to `gradsweep sweep`. Each task (one run or one stack) is pinned to the GPU Spark assigned it;
# on the CUDA backend the statistics take the portable path by themselves. Workers need CUDA 11.6 and cuDNN 8.3,
# and, on standalone, spark.worker.resource.gpu.amount plus the same discovery script in their spark-defaults.conf.
#
# Environment (all optional except SPARK_HOME and MASTER; defaults in conf/defaults.sh, see `bin/gradsweep options`):
#   RUNS_PER_GPU       concurrent tasks sharing one GPU: spark.task.resource.gpu.amount = 1/RUNS_PER_GPU
#   GPUS_PER_EXECUTOR  spark.executor.resource.gpu.amount; the executor runs GPUS_PER_EXECUTOR x RUNS_PER_GPU tasks
#   GPU_DISCOVERY_SCRIPT  path of conf/gpu-discovery.sh on every worker (default: this checkout's, same path assumed)
#   THREADS_PER_TASK   OpenMP threads per task (host-side work); reserves that many cores per task
#   EXECUTOR_MEMORY, EXECUTOR_MEMORY_OVERHEAD, EXECUTOR_MAX_RSS, DEPLOY_MODE, GRADSWEEP_JAR, SUBMIT_OPTS:
#                      as in jobs/submit-standalone.sh, which this script runs with the GPU settings added
set -euo pipefail
# SPARK_HOME and MASTER are checked by submit-standalone.sh.
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../conf/defaults.sh
. "$root/conf/defaults.sh"
jar=${GRADSWEEP_JAR:-$(ls "$root"/target/gradsweep-*-cluster.jar 2>/dev/null | head -1 || true)}
if [[ ! -f ${jar:-/nonexistent} ]]; then
  echo "no target/gradsweep-*-cluster.jar: build it with: mvn -Pcuda,cluster clean package" >&2
  exit 2
fi
# A CPU jar would train on the workers' CPUs while holding their GPUs: refuse it.
if command -v unzip >/dev/null && ! unzip -l "$jar" 2>/dev/null | grep -q 'org/nd4j/linalg/jcublas/'; then
  echo "$jar has no ND4J CUDA backend: build it with: mvn -Pcuda,cluster clean package" >&2
  exit 2
fi
threads=${THREADS_PER_TASK:-$GRADSWEEP_DEFAULT_THREADS}
per_gpu=${RUNS_PER_GPU:-$GRADSWEEP_DEFAULT_RUNS_PER_GPU}
gpus=${GPUS_PER_EXECUTOR:-$GRADSWEEP_DEFAULT_GPUS_PER_EXECUTOR}
[[ $per_gpu =~ ^[1-9][0-9]*$ && $gpus =~ ^[1-9][0-9]*$ ]] || { echo "RUNS_PER_GPU and GPUS_PER_EXECUTOR must be positive integers" >&2; exit 2; }
discovery=${GPU_DISCOVERY_SCRIPT:-$root/conf/gpu-discovery.sh}
task_gpu=$(awk -v k="$per_gpu" 'BEGIN { printf "%.10g", 1 / k }')

# Task slots per executor = GPUs x runs per GPU, each reserving THREADS_PER_TASK cores; the rest is
# submit-standalone.sh's (a discovery script path with spaces would be split: keep it without).
export GRADSWEEP_JAR=$jar
export EXECUTOR_CORES=$((gpus * per_gpu * threads))
export SUBMIT_OPTS="--conf spark.executor.resource.gpu.amount=$gpus --conf spark.executor.resource.gpu.discoveryScript=$discovery \
--conf spark.task.resource.gpu.amount=$task_gpu ${SUBMIT_OPTS:-}"
exec "$root/jobs/submit-standalone.sh" "$@"
