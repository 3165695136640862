#!/usr/bin/env bash
# Rebuilds models/default (the model shipped so that `bin/fraud up` scores with ML from the first
# minute) and docs/model-report.md (XGBoost vs LightGBM vs logistic regression), from one run.
# Seeded end to end (simulator seed 11, trainer seed 42). Run it whenever the feature catalogue
# (FEATURE_SET_VERSION) changes: the scorer refuses a model trained on another feature set.
#   ml/build_default_model.sh [WORKDIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
cd "$ROOT"
scripts/setup.sh python --quiet
bin/fraud simulate --count 300000 --seed 11 --out "$WORK/h.jsonl" --quiet
bin/fraud features backfill --input "$WORK/h.jsonl" --labels "$WORK/h.labels.csv" --out "$WORK/features.csv"
# Train weeks 1-5, a 7-day label-delay gap, test on week 7: every figure is on held-out data.
.venv/bin/python ml/training/train_model.py --features "$WORK/features.csv" --labels "$WORK/h.labels.csv" \
  --train-from 2025-01-06 --train-until 2025-02-10 --gap-days 7 --test-days 7 --seed 42 \
  --compare --no-mlflow --out "$WORK/cmp"
rm -rf models/default
mkdir -p models/default
cp "$WORK/cmp/xgboost/"{model.onnx,model.json,explain.json,parity.json,report.json,report.md,roc.png,pr.png} models/default/
.venv/bin/python ml/training/model_report.py --compare-dir "$WORK/cmp" --command "ml/build_default_model.sh" \
  --data "300,000 simulated transactions over 8 weeks (bin/fraud simulate --count 300000 --seed 11), $(tail -n +2 "$WORK/h.labels.csv" | grep -c ',1,\|,true,') fraud labels."
du -sh models/default
