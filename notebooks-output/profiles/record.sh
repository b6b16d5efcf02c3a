#!/usr/bin/env bash
# Profiles one bench variant: JFR (Java and native-method samples, main thread) over the measured steps, and, when
# perf works here, native samples of the main thread ("java") over the same steps.
# Usage: notebooks-output/profiles/record.sh VARIANT NET STEPS OUTDIR
#   e.g. record.sh dl4j_fit mlp50x10 600 /tmp/profiles
# Writes OUTDIR/NET-VARIANT.{jfr,log,perf.data,md}; the .md holds the tables the README quotes.
set -euo pipefail
variant=$1 net=$2 steps=$3 dir=$4
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$dir"
base="$dir/$net-$variant"
"$here/../../bin/gradsweep" bench --profile "$variant" --nets "$net" --steps "$steps" --jfr "$base.jfr" 2>"$base.log" &
pid=$! # bin/gradsweep execs java: this is the JVM
perf=""
while kill -0 "$pid" 2>/dev/null; do
  if grep -qs "warm-up done" "$base.log"; then
    # the JVM's main thread is the one named "java"; perf stops when the process exits
    if perf record -q -F 999 -e cpu-clock -p "$pid" -o "$base.perf.data" >/dev/null 2>&1; then perf=yes; fi
    break
  fi
  sleep 0.2
done
wait "$pid"
grep "^profile:" "$base.log"
{
  grep "^profile: .*ms/step" "$base.log"
  echo
  python3 "$here/jfr_top.py" "$base.jfr" ${perf:+--perf "$base.perf.data"}
} >"$base.md"
echo "wrote $base.md"
