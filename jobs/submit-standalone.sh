#!/usr/bin/env bash
# Run a gradsweep sweep under spark-submit on a Spark 3.5.x (Scala 2.12) cluster. Builds nothing.
#
#   mvn -Pcluster clean package        # once: target/gradsweep-0.1.0-SNAPSHOT-cluster.jar (Spark provided)
#   SPARK_HOME=/opt/spark MASTER=spark://head:7077 \
#     jobs/submit-standalone.sh --grid conf/grids/quick.yaml --out /shared/results/quick
#
# Every argument goes to `gradsweep sweep` (the master comes from spark-submit, no --master needed).
# --out must be a directory that the driver and every executor see: executors write the run files.
#
# Environment (all optional except SPARK_HOME and MASTER):
#   DEPLOY_MODE        client (default) or cluster
#   EXECUTOR_CORES     cores per executor (default THREADS_PER_TASK)
#   EXECUTOR_MEMORY    heap per executor (default 2g); ND4J's native buffers come on top of it
#   EXECUTOR_MAX_RSS   process size at which gradsweep forces a GC (checked once a step) to free ND4J's native buffers (default 4g;
#                      keep it above EXECUTOR_MEMORY and within the executor's memory + memoryOverhead)
#   THREADS_PER_TASK   OpenMP threads per training task (default 1); also reserves that many cores per task
#   GRADSWEEP_JAR      another jar to submit (default: the -cluster jar above)
#   SUBMIT_OPTS        extra spark-submit options, word-split, e.g. "--conf spark.cores.max=16"
set -euo pipefail

: "${SPARK_HOME:?set SPARK_HOME to a Spark 3.5.x (Scala 2.12) distribution}"
: "${MASTER:?set MASTER, e.g. spark://head:7077 (or yarn)}"
root=$(cd "$(dirname "$0")/.." && pwd)
jar=${GRADSWEEP_JAR:-$root/target/gradsweep-0.1.0-SNAPSHOT-cluster.jar}
[[ -f $jar ]] || { echo "no $jar: build it with: mvn -Pcluster clean package" >&2; exit 2; }
threads=${THREADS_PER_TASK:-1}

# Spark's own Java 17 flags (org.apache.spark.launcher.JavaModuleOptions). Spark 3.3+ adds them itself;
# passing them keeps executors working when a cluster's spark-defaults overrides extraJavaOptions.
java17="-XX:+IgnoreUnrecognizedVMOptions -Djdk.reflect.useDirectMethodHandle=false"
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  java17+=" --add-opens=java.base/$p=ALL-UNNAMED"
done
java17+=" --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED"
# The statistics' SIMD loops need the Vector API module (without it executors fall back to scalar loops, 3-10x
# slower statistics; the same numbers up to summation order).
java17+=" --add-modules=jdk.incubator.vector"

# OpenMP threads x concurrent tasks <= cores: each task gets THREADS_PER_TASK threads and as many
# cores (spark.task.cpus), so an executor runs EXECUTOR_CORES / THREADS_PER_TASK tasks at once.
# shellcheck disable=SC2086  # SUBMIT_OPTS is word-split on purpose
exec "$SPARK_HOME/bin/spark-submit" \
  --master "$MASTER" \
  --deploy-mode "${DEPLOY_MODE:-client}" \
  --class dev.gradsweep.cli.Main \
  --conf spark.executor.cores="${EXECUTOR_CORES:-$threads}" \
  --conf spark.executor.memory="${EXECUTOR_MEMORY:-2g}" \
  --conf spark.task.cpus="$threads" \
  --conf spark.executorEnv.OMP_NUM_THREADS="$threads" \
  --conf spark.executor.extraJavaOptions="$java17 -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dgradsweep.maxRss=${EXECUTOR_MAX_RSS:-4g}" \
  --conf spark.executor.memoryOverhead="${EXECUTOR_MEMORY_OVERHEAD:-2g}" \
  --conf spark.driver.extraJavaOptions="$java17" \
  ${SUBMIT_OPTS:-} \
  "$jar" sweep "$@"
