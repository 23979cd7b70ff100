#!/usr/bin/env bash
# Checks the monitoring files with the real tools: a multi-JVM Flink cluster (a JobManager and two
# TaskManagers) with Flink's Prometheus reporter as conf/flink-prometheus.yaml configures it, the job jar
# submitted with `flink run` against the Kafka broker and the mock LLM, and a real Prometheus configured by
# deploy/prometheus.yaml with deploy/prometheus-alerts.yaml loaded. After some traffic it runs every query
# of deploy/grafana-dashboard.json and every alert expression, and prints what each returned.
#
#   deploy/check-prometheus.sh [--traffic-seconds N]      # N: traffic before the queries, default 90
#
# Needs Java 17, Maven and prometheus on the PATH (Debian: apt-get install prometheus); about 4 minutes.
# Exit 0: every dashboard query returned series and every rule evaluated; 1: not; 2: prometheus missing.
# The cluster's logs stay in target/cluster/PrometheusCheck/log, Prometheus's in .../prometheus.
# MVN_FLAGS passes flags to Maven (e.g. MVN_FLAGS=-o to build offline).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v prometheus >/dev/null; then
  echo "prometheus is not installed (Debian: apt-get install prometheus)" >&2
  exit 2
fi
mvn -B -q ${MVN_FLAGS:-} package -DskipTests
mvn -B -q ${MVN_FLAGS:-} dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
exec java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" \
  io.llmstream.it.cluster.PrometheusCheck "$@"
