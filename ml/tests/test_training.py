"""End-to-end: train the three learners on synthetic features, export, check parity and explanations."""

import hashlib
import json
import math

import numpy as np
import pytest

from ml.training import train_model
from ml.training.export import onnx_predict

ALGOS = ["xgboost", "lightgbm", "logreg"]


@pytest.mark.parametrize("algorithm", ALGOS)
def test_model_dir_holds_the_serving_contract(trained, algorithm):
    d = trained / algorithm
    for f in ("model.onnx", "model.json", "explain.json", "parity.json", "report.json", "report.md", "roc.png", "pr.png"):
        assert (d / f).exists(), f
    meta = json.loads((d / "model.json").read_text())
    assert meta["feature_set_version"] == "fs-test"
    assert meta["feature_names"][0] == "card_count_1h"
    assert 0 < meta["thresholds"]["review"] <= meta["thresholds"]["block"] <= 1
    assert meta["model_version"].startswith(f"{algorithm}-20250122-")
    report = json.loads((d / "report.json").read_text())
    test = report["results"]["test"]
    for key in ("roc_auc", "average_precision", "precision", "recall", "f1", "fpr", "recall_at_0_1pct_fpr",
                "recall_at_1pct_fpr", "card_precision_at_k"):
        assert key in test
    # The synthetic fraud is learnable: every model must rank far better than chance.
    assert test["roc_auc"] > 0.8


@pytest.mark.parametrize("algorithm", ALGOS)
def test_onnx_matches_the_trained_model(trained, algorithm):
    d = trained / algorithm
    parity = json.loads((d / "parity.json").read_text())
    x = np.array([[np.nan if v is None else v for v in r] for r in parity["rows"]], dtype=np.float64)
    assert np.isnan(x).any(), "parity rows should include missing values"
    assert np.max(np.abs(onnx_predict(d / "model.onnx", x) - np.array(parity["python"]))) < 1e-5


def _walk(tree, decision, row):
    i = 0
    while tree["feature"][i] >= 0:
        v = row[tree["feature"][i]]
        thr = tree["threshold"][i]
        if v is None or math.isnan(v):
            i = tree["missing"][i]
        else:
            v32 = float(np.float32(v))
            go_left = v32 < float(np.float32(thr)) if decision == "<" else v <= thr
            i = tree["left"][i] if go_left else tree["right"][i]
    return tree["value"][i]


@pytest.mark.parametrize("algorithm", ALGOS)
def test_explain_structure_reproduces_the_margin(trained, algorithm):
    """explain.json is what TypeScript TreeSHAP walks: it must compute the model's own margin."""
    d = trained / algorithm
    ex = json.loads((d / "explain.json").read_text())
    parity = json.loads((d / "parity.json").read_text())
    for row, margin, contrib in zip(parity["rows"], parity["python_margin"], parity["contributions"]):
        if ex["kind"] == "trees":
            m = ex["base_margin"] + sum(_walk(t, ex["decision"], row) for t in ex["trees"])
        else:
            x = np.array([ex["impute"][i] if v is None else v for i, v in enumerate(row)])
            m = ex["intercept"] + float(np.dot((x - ex["mean"]) / ex["scale"], ex["coef"]))
        assert abs(m - margin) < 1e-4
        # The library's own contributions (TreeSHAP for trees) sum to the same margin.
        assert abs(sum(contrib) - margin) < 1e-3


def test_default_beats_logreg_on_average_precision_on_nonlinear_fraud(trained):
    comparison = json.loads((trained / "comparison.json").read_text())
    assert comparison["xgboost"]["test"]["average_precision"] > comparison["logreg"]["test"]["average_precision"]


def test_training_is_reproducible(tmp_path, dataset):
    features, labels = dataset
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        train_model.main(["--features", str(features), "--labels", str(labels), "--train-until", "2025-01-22",
                          "--out", str(out), "--no-mlflow", "--feature-set-version", "fs-test"])
        digests.append(hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_as_of_hides_labels_that_arrive_later(tmp_path, dataset):
    features, labels = dataset
    out = tmp_path / "early"
    train_model.main(["--features", str(features), "--labels", str(labels), "--train-until", "2025-01-22",
                      "--as-of", "2025-01-15", "--out", str(out), "--no-mlflow", "--feature-set-version", "fs-test"])
    late = json.loads((out / "model.json").read_text())["training"]["positives"]
    out2 = tmp_path / "full"
    train_model.main(["--features", str(features), "--labels", str(labels), "--train-until", "2025-01-22",
                      "--out", str(out2), "--no-mlflow", "--feature-set-version", "fs-test"])
    full = json.loads((out2 / "model.json").read_text())["training"]["positives"]
    assert 0 < late < full
