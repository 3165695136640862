import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ml.tests.synthetic import make  # noqa: E402


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    features, labels = make(d, rows=10000, days=35, seed=7)
    return features, labels


@pytest.fixture(scope="session")
def trained(tmp_path_factory, dataset):
    """All three algorithms trained once on the synthetic set (no MLflow), shared by tests."""
    from ml.training import train_model

    features, labels = dataset
    out = tmp_path_factory.mktemp("models")
    rc = train_model.main(
        ["--features", str(features), "--labels", str(labels), "--train-until", "2025-01-22", "--gap-days", "3",
         "--test-days", "7", "--compare", "--out", str(out), "--no-mlflow", "--feature-set-version", "fs-test"]
    )
    assert rc == 0
    return out
