#!/usr/bin/env bash
# Scale benchmark of the blocked metric (io.pullback.bench.BlockedScaleBenchmark, in this module): N = 20,000 MLP
# function metric in local[2] with a small driver heap; prints a Markdown report on stdout.
#
#   bench/blocked-scale.sh [key=value ...]                 e.g. bench/blocked-scale.sh rows=4000
#
# Environment: BENCH_HEAP (driver heap, default 2g), JAVA_HOME. Builds the project on first use, as
# bin/pullback does, and runs with the same JVM flags (Spark's --add-opens list, the Vector API).
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as the environment sets them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNNER="$ROOT/local-runner/target"
CLASSPATH_FILE="$RUNNER/classpath.txt"
BENCH_JAR=$(ls "$ROOT"/bench/target/bench-*.jar 2>/dev/null | head -n 1 || true)
if [ ! -f "$CLASSPATH_FILE" ] || [ -z "$BENCH_JAR" ] || ! ls "$RUNNER"/local-runner-*.jar >/dev/null 2>&1 \
   || [ -n "$(find "$ROOT/spark-jobs/src/main" "$ROOT/bench/src/main" "$ROOT/pom.xml" "$ROOT/spark-jobs/pom.xml" "$ROOT/bench/pom.xml" \
              -newer "$CLASSPATH_FILE" -print -quit)" ]; then
  echo "blocked-scale: building (mvn -q -DskipTests package) ..." >&2
  (cd "$ROOT" && mvn -B -q -DskipTests package -pl local-runner,bench -am) >&2
  BENCH_JAR=$(ls "$ROOT"/bench/target/bench-*.jar | head -n 1)
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAR=$(ls "$RUNNER"/local-runner-*.jar | head -n 1)
JVM_FLAGS=$(cat "$RUNNER/classes/pullback-jvm.options")
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# shellcheck disable=SC2086
exec "$JAVA" $JVM_FLAGS "-Xmx${BENCH_HEAP:-2g}" -Dbench.command="BENCH_HEAP=${BENCH_HEAP:-2g} bench/blocked-scale.sh${*:+ $*}" \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$BENCH_JAR:$JAR:$(cat "$CLASSPATH_FILE")" io.pullback.bench.BlockedScaleBenchmark "$@"
