# Generated from dev.gradsweep.config.RuntimeOptions by `bin/gradsweep options --format sh`;
# RuntimeOptionsTest fails when this file and the class disagree. Do not edit by hand.
GRADSWEEP_DEFAULT_HEAP='3g'
GRADSWEEP_DEFAULT_MAX_RSS='6g'
GRADSWEEP_DEFAULT_THREADS='1'
GRADSWEEP_DEFAULT_EXECUTOR_MEMORY='4g'
GRADSWEEP_DEFAULT_EXECUTOR_MEMORY_OVERHEAD='2g'
GRADSWEEP_DEFAULT_EXECUTOR_MAX_RSS='5g'
GRADSWEEP_DEFAULT_RUNS_PER_GPU='1'
GRADSWEEP_DEFAULT_GPUS_PER_EXECUTOR='1'
GRADSWEEP_SPARK_JAVA17_FLAGS='-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false'
GRADSWEEP_SIMD_FLAGS='--add-modules=jdk.incubator.vector'
GRADSWEEP_JAVACPP_FLAGS='-Dorg.bytedeco.javacpp.maxPhysicalBytes=0'
