#!/usr/bin/env bash
# Run a gradsweep sweep under spark-submit on a Spark 3.5.x (Scala 2.12) cluster. Builds nothing.
#
#   mvn -Pcluster clean package        # once: target/gradsweep-<version>-cluster.jar (Spark provided)
#   SPARK_HOME=/opt/spark MASTER=spark://head:7077 \
#     jobs/submit-standalone.sh --grid conf/grids/quick.yaml --out /shared/results/quick
#
# Every argument goes to `gradsweep sweep` (the master comes from spark-submit, no --master needed).
# --out must be a directory that the driver and every executor see: executors write the run files.
#
# Environment (all optional except SPARK_HOME and MASTER; defaults in conf/defaults.sh, see `bin/gradsweep options`):
#   DEPLOY_MODE        client (default) or cluster
#   EXECUTOR_CORES     cores per executor (default THREADS_PER_TASK)
#   EXECUTOR_MEMORY    heap per executor; ND4J's native buffers come on top of it
#   EXECUTOR_MEMORY_OVERHEAD  room beside the heap for ND4J's off-heap arrays
#   EXECUTOR_MAX_RSS   process size at which gradsweep forces a GC (checked once a step) to free ND4J's native buffers
#                      (keep it above EXECUTOR_MEMORY and within the executor's memory + memoryOverhead)
#   THREADS_PER_TASK   OpenMP threads per training task; also reserves that many cores per task
#   GRADSWEEP_JAR      another jar to submit (default: the -cluster jar above)
#   SUBMIT_OPTS        extra spark-submit options, word-split, e.g. "--conf spark.cores.max=16"
set -euo pipefail

: "${SPARK_HOME:?set SPARK_HOME to a Spark 3.5.x (Scala 2.12) distribution}"
: "${MASTER:?set MASTER, e.g. spark://head:7077 (or yarn)}"
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../conf/defaults.sh
. "$root/conf/defaults.sh"
jar=${GRADSWEEP_JAR:-$(ls "$root"/target/gradsweep-*-cluster.jar 2>/dev/null | head -1 || true)}
[[ -n $jar && -f $jar ]] || { echo "no target/gradsweep-*-cluster.jar: build it with: mvn -Pcluster clean package" >&2; exit 2; }
threads=${THREADS_PER_TASK:-$GRADSWEEP_DEFAULT_THREADS}

# Spark's own Java 17 flags: Spark 3.3+ adds them itself; passing them keeps executors working when a cluster's
# spark-defaults overrides extraJavaOptions. The Vector API module turns on the statistics' SIMD loops.
java17="$GRADSWEEP_SPARK_JAVA17_FLAGS $GRADSWEEP_SIMD_FLAGS"

# OpenMP threads x concurrent tasks <= cores: each task gets THREADS_PER_TASK threads and as many
# cores (spark.task.cpus), so an executor runs EXECUTOR_CORES / THREADS_PER_TASK tasks at once.
# shellcheck disable=SC2086  # SUBMIT_OPTS is word-split on purpose
exec "$SPARK_HOME/bin/spark-submit" \
  --master "$MASTER" \
  --deploy-mode "${DEPLOY_MODE:-client}" \
  --class dev.gradsweep.cli.Main \
  --conf spark.executor.cores="${EXECUTOR_CORES:-$threads}" \
  --conf spark.executor.memory="${EXECUTOR_MEMORY:-$GRADSWEEP_DEFAULT_EXECUTOR_MEMORY}" \
  --conf spark.task.cpus="$threads" \
  --conf spark.executorEnv.OMP_NUM_THREADS="$threads" \
  --conf spark.executor.extraJavaOptions="$java17 $GRADSWEEP_JAVACPP_FLAGS -Dgradsweep.maxRss=${EXECUTOR_MAX_RSS:-$GRADSWEEP_DEFAULT_EXECUTOR_MAX_RSS}" \
  --conf spark.executor.memoryOverhead="${EXECUTOR_MEMORY_OVERHEAD:-$GRADSWEEP_DEFAULT_EXECUTOR_MEMORY_OVERHEAD}" \
  --conf spark.driver.extraJavaOptions="$java17" \
  ${SUBMIT_OPTS:-} \
  "$jar" sweep "$@"
