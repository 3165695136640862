#!/usr/bin/env bash
# Rebuilds models/default: the model shipped so that `bin/fraud up` scores with ML from the
# first minute. Seeded end to end (simulator seed 11, trainer seed 42): the same code gives
# the same model. Run it whenever the feature catalogue (FEATURE_SET_VERSION) changes.
#   ml/build_default_model.sh [WORKDIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
cd "$ROOT"
[ -s "$WORK/h.jsonl" ] || bin/fraud simulate --count 300000 --seed 11 --out "$WORK/h.jsonl" --quiet
# Train weeks 1-5, a 7-day label-delay gap, test on week 7: the report is on held-out data.
bin/fraud train --history "$WORK/h.jsonl" --labels "$WORK/h.labels.csv" \
  --train-from 2025-01-06 --train-until 2025-02-10 --gap-days 7 --test-days 7 \
  --algorithm xgboost --seed 42 --no-mlflow --features-out "$WORK/features.csv" --out "$WORK/model"
rm -rf models/default
mkdir -p models/default
cp "$WORK/model/"{model.onnx,model.json,explain.json,parity.json,report.json,report.md,roc.png,pr.png} models/default/
du -sh models/default
