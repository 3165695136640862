"""Regenerates the small synthetic models the TypeScript unit tests load (tests/unit/ml/fixtures).

    .venv/bin/python ml/tests/make_fixtures.py
"""

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ml.tests.synthetic import make  # noqa: E402
from ml.training import train_model  # noqa: E402

KEEP = ("model.onnx", "model.json", "explain.json", "parity.json")

if __name__ == "__main__":
    dest = ROOT / "tests" / "unit" / "ml" / "fixtures"
    with tempfile.TemporaryDirectory() as tmp:
        features, labels = make(Path(tmp), rows=6000, days=35, seed=3)
        for algorithm in ("xgboost", "lightgbm", "logreg"):
            out = Path(tmp) / algorithm
            train_model.main(["--features", str(features), "--labels", str(labels), "--train-until", "2025-01-22",
                              "--gap-days", "3", "--algorithm", algorithm, "--out", str(out), "--no-mlflow",
                              "--feature-set-version", "fs-test", "--seed", "5"])
            target = dest / algorithm
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for f in KEEP:
                shutil.copy(out / f, target / f)
