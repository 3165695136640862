#!/usr/bin/env bash
# The test command (README, .ci/run): sets up everything it needs, starts the real services the
# integration tests use, and runs every lane. Usage: scripts/test.sh [--keep-services]
#
#   1. set-up: Node 24 + npm deps, Kafka and Neo4j jars (Maven Central), the ML venv, and the
#      Debian packages (redis-server, postgresql, kcat, chromium) when running as root
#   2. static checks: biome (format + lint), tsc, generated files up to date
#   3. unit lane (pure core, in-process adapters)
#   4. real services: Kafka (KRaft), Redis, Neo4j 5.26, PostgreSQL 15 on 127.0.0.1
#   5. integration lane (real services), ML lane (pytest), browser lane (Chromium)
#
# Ends with one line `tests: N passed, N failed`. Exit code non-zero if anything failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
KEEP=0
[ "${1:-}" = "--keep-services" ] && KEEP=1
mkdir -p artifacts/test-results

step() { printf '\n==> %s\n' "$*" >&2; }
fail_setup() { echo "test setup failed: $*" >&2; echo "tests: 0 passed, 1 failed"; exit 1; }

step "set-up"
if [ "$(id -u)" = 0 ]; then scripts/setup.sh system || fail_setup "Debian packages"; fi
scripts/setup.sh node kafka neo4j python || fail_setup "toolchain"
source scripts/env.sh

PASSED=0
FAILED=0
count_vitest() { # $1 = json report
  local counts
  counts=$(node -e 'const r=JSON.parse(require("node:fs").readFileSync(process.argv[1],"utf8"));console.log(r.numPassedTests, r.numFailedTests, r.numTotalTests)' "$1" 2>/dev/null) || { FAILED=$((FAILED + 1)); return; }
  read -r p f t <<<"$counts"
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  # A lane whose files failed to load reports no tests: count that as a failure.
  if [ "$t" = 0 ]; then FAILED=$((FAILED + 1)); fi
}
run_lane() { # $1 = vitest project
  step "$1 tests"
  node_modules/.bin/vitest run --project "$1" --reporter=default --reporter=json --outputFile.json="artifacts/test-results/$1.json"
  local rc=$?
  count_vitest "artifacts/test-results/$1.json"
  [ $rc -ne 0 ] && [ "$FAILED" = 0 ] && FAILED=1
  return 0
}

step "static checks (biome, tsc, generated files)"
if node_modules/.bin/biome ci . && node_modules/.bin/tsc --noEmit -p . && scripts/check-generated.sh; then
  PASSED=$((PASSED + 1))
else
  echo "static checks failed" >&2; FAILED=$((FAILED + 1))
fi

run_lane unit

step "starting real services (Kafka, Redis, Neo4j, PostgreSQL)"
STARTED=$(for s in kafka redis neo4j postgres; do bin/fraud infra status "$s" >/dev/null 2>&1 || echo "$s"; done)
# Kafka also gets a TLS listener with a local CA, for the TLS contract test. Exported, so
# that tests calling the launcher again ask for the broker as it runs.
export FRAUD_KAFKA_TLS=true
if ! ENV_LINES=$(bin/fraud infra up kafka redis neo4j postgres); then
  fail_setup "could not start the services (see .run/*/*.log)"
fi
eval "$ENV_LINES"
bin/fraud topics create >/dev/null || fail_setup "could not create the Kafka topics"
export KAFKA_BROKERS KAFKA_TLS_BROKERS KAFKA_TLS_CA_FILE REDIS_URL NEO4J_URI DATABASE_URL
cleanup() {
  if [ "$KEEP" = 0 ] && [ -n "$STARTED" ]; then
    step "stopping the services this run started: $(echo $STARTED)"
    bin/fraud infra down $STARTED >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

run_lane integration

step "ML tests (pytest)"
if .venv/bin/python -m pytest -q ml/tests --junitxml=artifacts/test-results/ml.xml; then :; fi
read -r p f < <(python3 - <<'PY'
import xml.etree.ElementTree as ET
try:
    r = ET.parse('artifacts/test-results/ml.xml').getroot()
    s = r if r.tag == 'testsuite' else r.find('testsuite')
    t, f, e, sk = (int(s.get(k, 0)) for k in ('tests', 'failures', 'errors', 'skipped'))
    print(t - f - e - sk, f + e if t else 1)
except Exception:
    print(0, 1)
PY
)
PASSED=$((PASSED + p)); FAILED=$((FAILED + f))

run_lane browser

echo
echo "tests: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
