"""MLflow: a training run is tracked and registered; aliases promote a version."""

import json
import subprocess
import sys
from pathlib import Path

from ml.training import train_model

ROOT = Path(__file__).resolve().parents[2]


def test_run_is_tracked_registered_and_promoted(tmp_path, dataset, monkeypatch, capsys):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    features, labels = dataset
    train_model.main(["--features", str(features), "--labels", str(labels), "--train-until", "2025-01-22",
                      "--out", str(tmp_path / "m"), "--alias", "challenger", "--feature-set-version", "fs-test",
                      "--register-as", "fraud-test"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["mlflow"]["version"] == "1" and summary["mlflow"]["alias"] == "challenger"
    assert (tmp_path / "mlruns").is_dir(), "local artifacts live beside the SQLite store"

    env = {"MLFLOW_TRACKING_URI": uri, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, str(ROOT / "ml" / "training" / "registry.py")]
    subprocess.run([*cli, "promote", "fraud-test", "1", "--alias", "champion"], check=True, env=env, capture_output=True)
    listed = json.loads(subprocess.run([*cli, "list", "--name", "fraud-test"], check=True, env=env, capture_output=True, text=True).stdout)
    assert listed["versions"][0]["aliases"] == ["challenger", "champion"]
    assert listed["versions"][0]["model_version"] == summary["model_version"]
    resolved = json.loads(subprocess.run([*cli, "resolve", "fraud-test", "champion"], check=True, env=env, capture_output=True, text=True).stdout)
    artifacts = Path(resolved["uri"].removeprefix("file://"))
    assert (artifacts / "model.onnx").exists() and (artifacts / "extra_files" / "model.json").exists()
