#!/usr/bin/env bash
# Trust benchmark: verifying a refresh of 10,000 targets (a client's workflow and a server
# mirroring every kernel role) and checking a 1 MiB module against plain SHA-256/SHA-512 in the
# same run (the ceiling). Runs io.patchfleet.trust.tuf.internal.TrustBenchmark from the TUF
# bundle's test classes with `java -cp`, the class path from `mvn dependency:build-classpath`.
#
# usage: bench/trust.sh [ITERATIONS]     (default 15; prints Markdown tables)
# needs: a build (mvn -q install -DskipTests) so the bundle's dependencies are in ~/.m2.
set -euo pipefail
cd "$(dirname "$0")/.."
module=bundles/io.patchfleet.trust.tuf
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn -q -B test-compile -pl "$module"
mvn -q -B dependency:build-classpath -pl "$module" -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
echo "$(date -u +%F) — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1)"
exec java -Xmx1g -cp "$module/target/test-classes:$module/target/classes:$(cat "$cp_file")" \
  io.patchfleet.trust.tuf.internal.TrustBenchmark "${1:-15}"
