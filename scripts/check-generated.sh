#!/usr/bin/env bash
# Regenerates every generated file and fails if any differs from what is committed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
node scripts/gen-schemas.ts
node scripts/gen-errors-doc.ts
node scripts/gen-feature-catalogue.ts >/dev/null
node infra/grafana/generate-dashboards.ts --check
GENERATED=(docs/schemas docs/errors.md docs/feature-catalogue.md)
if ! git diff --quiet -- "${GENERATED[@]}"; then
  echo "generated files are out of date; run scripts/check-generated.sh and commit:" >&2
  git diff --stat -- "${GENERATED[@]}" >&2
  exit 1
fi
if [ -n "$(git ls-files --others --exclude-standard -- "${GENERATED[@]}")" ]; then
  echo "generated files are not committed:" >&2
  git ls-files --others --exclude-standard -- "${GENERATED[@]}" >&2
  exit 1
fi
