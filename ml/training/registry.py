"""MLflow tracking and registry.

Tracking defaults to a local SQLite store `ml/mlflow.db` with artifacts in `ml/mlruns`
(both gitignored); `MLFLOW_TRACKING_URI` points the same code at a tracking server.
`mlflow ui --backend-store-uri sqlite:///ml/mlflow.db` shows the runs.

Also a small CLI used by `bin/fraud models`:
  python ml/training/registry.py list [--name NAME]
  python ml/training/registry.py promote NAME VERSION --alias champion
  python ml/training/registry.py resolve NAME ALIAS
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ML_DIR = Path(__file__).resolve().parents[1]
DEFAULT_NAME = "fraud-detector"
EXPERIMENT = "fraud-detection"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{ML_DIR / 'mlflow.db'}"


def _mlflow():
    import logging

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    return mlflow


def ensure_experiment(mlflow) -> str:
    exp_id = _experiment(mlflow)
    # Tells the MLflow UI this is model training (runs, metrics, models), not GenAI tracing.
    mlflow.MlflowClient().set_experiment_tag(exp_id, "mlflow.experimentKind", "custom_model_development")
    return exp_id


def _experiment(mlflow) -> str:
    exp = mlflow.get_experiment_by_name(EXPERIMENT)
    if exp is None:
        uri = tracking_uri()
        # A local SQLite store keeps its artifacts beside the database file (ml/mlruns by default).
        location = (Path(uri[len("sqlite:///") :]).parent / "mlruns").as_uri() if uri.startswith("sqlite:///") else None
        return mlflow.create_experiment(EXPERIMENT, artifact_location=location)
    return exp.experiment_id


def log_run(out: Path, meta: dict, params: dict, metrics: dict[str, float], register_as: str | None, alias: str | None) -> dict:
    """Logs one training run; registers the ONNX model (+ its metadata files) as a new version."""
    mlflow = _mlflow()
    import onnx

    ensure_experiment(mlflow)
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run(run_name=meta["model_version"]) as run:
        mlflow.log_params({k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in params.items()})
        mlflow.log_metrics({k: v for k, v in metrics.items() if v == v})  # NaN is not loggable
        mlflow.set_tags({"model_version": meta["model_version"], "feature_set_version": meta["feature_set_version"], "algorithm": meta["algorithm"]})
        for name in ("report.json", "report.md", "roc.png", "pr.png", "model.json"):
            if (out / name).exists():
                mlflow.log_artifact(str(out / name), artifact_path="report")
        extra = [str(out / n) for n in ("model.json", "explain.json") if (out / n).exists()]
        info = mlflow.onnx.log_model(
            onnx.load(str(out / "model.onnx")),
            name="model",
            extra_files=extra,
            save_as_external_data=False,
            registered_model_name=register_as,
            metadata={"model_version": meta["model_version"], "feature_set_version": meta["feature_set_version"]},
        )
        result = {"run_id": run.info.run_id, "experiment": EXPERIMENT, "tracking_uri": tracking_uri(), "model_uri": info.model_uri}
    if register_as:
        client = mlflow.MlflowClient()
        version = str(info.registered_model_version)
        client.set_model_version_tag(register_as, version, "model_version", meta["model_version"])
        if alias:
            client.set_registered_model_alias(register_as, alias, version)
        result.update({"registered_model": register_as, "version": version, "alias": alias})
    return result


def resolve(name: str, alias: str) -> dict:
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    mv = client.get_model_version_by_alias(name, alias)
    return {"name": name, "alias": alias, "version": mv.version, "run_id": mv.run_id, "uri": client.get_model_version_download_uri(name, mv.version)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="registry.py", description="MLflow registry helper for bin/fraud models")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("list")
    ls.add_argument("--name", default=DEFAULT_NAME)
    pr = sub.add_parser("promote")
    pr.add_argument("name")
    pr.add_argument("version")
    pr.add_argument("--alias", default="champion")
    rs = sub.add_parser("resolve")
    rs.add_argument("name")
    rs.add_argument("alias")
    args = ap.parse_args(argv)
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    if args.cmd == "list":
        try:
            rm = client.get_registered_model(args.name)
        except Exception as err:  # noqa: BLE001 - MLflow raises its own RestException
            print(json.dumps({"name": args.name, "error": str(err).splitlines()[0], "versions": []}))
            return 0
        aliases: dict[str, list[str]] = {}
        for a, v in (rm.aliases or {}).items():
            aliases.setdefault(str(v), []).append(a)
        versions = []
        for mv in client.search_model_versions(f"name='{args.name}'"):
            versions.append(
                {
                    "version": mv.version,
                    "aliases": sorted(aliases.get(str(mv.version), [])),
                    "model_version": (mv.tags or {}).get("model_version"),
                    "run_id": mv.run_id,
                    "created": mv.creation_timestamp,
                }
            )
        versions.sort(key=lambda v: int(v["version"]))
        print(json.dumps({"name": args.name, "tracking_uri": tracking_uri(), "versions": versions}))
        return 0
    if args.cmd == "promote":
        client.get_model_version(args.name, args.version)  # fails clearly when it does not exist
        client.set_registered_model_alias(args.name, args.alias, args.version)
        print(json.dumps({"name": args.name, "version": args.version, "alias": args.alias}))
        return 0
    print(json.dumps(resolve(args.name, args.alias)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
