"""Train, evaluate, export and register a fraud model.

The brief's entry point:  python ml/training/train_model.py --config ml/configs/experiment.yaml
Every config value can be overridden on the command line (see --help); `bin/fraud train`
wraps this script after running the TypeScript offline feature backfill.

Output directory (the serving contract, read by src/adapters/model-onnx):
  model.onnx      float32 input `features` [N, F] -> `probabilities` [N, 2]
  model.json      metadata: feature names in order, feature_set_version, model_version,
                  thresholds, training window, metrics
  explain.json    tree ensemble / linear structure for signed contributions (TreeSHAP)
  parity.json     rows + Python predictions and contributions, for the TypeScript parity test
  report.json, report.md, roc.png, pr.png
The last stdout line is a JSON summary (for the TypeScript wrapper); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# OpenMP threads (XGBoost, LightGBM) sleep instead of spinning while they wait: on a shared
# machine spinning threads steal the cores the other thread needs (a LightGBM fit measured
# 28 s spinning vs 0.6 s passive under load 15 on 2 cores).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

if __package__ in (None, ""):
    # Run as a script: make `ml` importable so the relative imports below resolve.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    __package__ = "ml.training"

from . import data as D  # noqa: E402
from .export import INPUT_NAME, explain_structure, onnx_predict, probability_output, python_contributions, to_onnx  # noqa: E402
from .metrics import evaluate, threshold_at_fpr, threshold_for_capacity  # noqa: E402
from .models import ALGORITHMS, fit  # noqa: E402
from .report import metrics_table, write_report  # noqa: E402

DEFAULTS: dict = {
    "seed": 42,
    "data": {"features": None, "labels": None, "history": None, "simulate": None, "feature_set_version": None},
    "split": {"train_from": None, "train_until": None, "as_of": None, "gap_days": 7, "test_days": 7, "valid_fraction": 0.2},
    "model": {"algorithm": "xgboost", "imbalance_power": 0.5, "params": {}},
    "threshold": {"review_fpr": 0.01, "review_cards_per_day": None, "block_fpr": 0.001},
    "evaluation": {"k": 50},
    "export": {"out": ".data/models/latest", "parity_rows": 200, "name": "fraud-detector"},
    "mlflow": {"enabled": True, "register_as": "fraud-detector", "alias": None},
}


def log(msg: str) -> None:
    print(f"train: {msg}", file=sys.stderr, flush=True)


def merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in (over or {}).items():
        out[k] = merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help="YAML experiment config (ml/configs/experiment.yaml)")
    ap.add_argument("--features", help="features CSV from `bin/fraud features backfill`")
    ap.add_argument("--labels", help="labels CSV: transaction_id,is_fraud,labeled_at")
    ap.add_argument("--history", help="transactions JSONL; runs the backfill when --features does not exist yet")
    ap.add_argument("--train-from", help="train window start, inclusive (date or ISO timestamp, UTC)")
    ap.add_argument("--train-until", help="train window end, exclusive")
    ap.add_argument("--as-of", help="training cutoff: only labels known before it count (default: end of history)")
    ap.add_argument("--gap-days", type=float, help="label-delay gap between train and test windows (default 7)")
    ap.add_argument("--test-days", type=float, help="test window length in days (default 7)")
    ap.add_argument("--algorithm", choices=ALGORITHMS)
    ap.add_argument("--compare", action="store_true", help="train all three algorithms on the same split; write comparison.md")
    ap.add_argument("--out", help="output directory for the model and its report")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--feature-set-version")
    ap.add_argument("--review-fpr", type=float, help="review threshold at this FPR on validation (default 0.01)")
    ap.add_argument("--review-cards-per-day", type=float, help="review threshold for this daily review capacity (cards/day)")
    ap.add_argument("--block-fpr", type=float, help="block threshold at this FPR on validation (default 0.001)")
    ap.add_argument("--k", type=int, help="k of card precision@k (default 50)")
    ap.add_argument("--no-mlflow", action="store_true", help="skip MLflow tracking and registration")
    ap.add_argument("--register-as", help="registered model name (default fraud-detector)")
    ap.add_argument("--alias", help="alias to set on the new version, e.g. challenger")
    return ap.parse_args(argv)


def load_config(args: argparse.Namespace) -> dict:
    cfg = DEFAULTS
    if args.config:
        cfg = merge(cfg, yaml.safe_load(Path(args.config).read_text()) or {})
    over = {
        ("data", "features"): args.features,
        ("data", "labels"): args.labels,
        ("data", "history"): args.history,
        ("data", "feature_set_version"): args.feature_set_version,
        ("split", "train_from"): args.train_from,
        ("split", "train_until"): args.train_until,
        ("split", "as_of"): args.as_of,
        ("split", "gap_days"): args.gap_days,
        ("split", "test_days"): args.test_days,
        ("model", "algorithm"): args.algorithm,
        ("export", "out"): args.out,
        ("threshold", "review_fpr"): args.review_fpr,
        ("threshold", "review_cards_per_day"): args.review_cards_per_day,
        ("threshold", "block_fpr"): args.block_fpr,
        ("evaluation", "k"): args.k,
        ("mlflow", "register_as"): args.register_as,
        ("mlflow", "alias"): args.alias,
    }
    cfg = json.loads(json.dumps(cfg))
    for (section, key), value in over.items():
        if value is not None:
            cfg[section][key] = value
    if args.seed is not None:
        cfg["seed"] = args.seed
    if args.no_mlflow:
        cfg["mlflow"]["enabled"] = False
    if not cfg["data"]["features"] or not cfg["data"]["labels"]:
        raise SystemExit("train: data.features and data.labels are required (config or --features/--labels)")
    return cfg


def ensure_features(cfg: dict) -> None:
    features = Path(cfg["data"]["features"])
    if features.exists():
        return
    history = cfg["data"].get("history")
    if not history:
        raise SystemExit(f"train: {features} does not exist; create it with `bin/fraud features backfill` or set data.history")
    root = Path(__file__).resolve().parents[2]
    sim = cfg["data"].get("simulate")
    if not Path(history).exists() and sim:
        Path(history).parent.mkdir(parents=True, exist_ok=True)
        cmd = [str(root / "bin" / "fraud"), "simulate", "--count", str(sim["count"]), "--seed", str(sim["seed"]), "--out", history]
        log("no history yet: simulating one: " + " ".join(cmd))
        subprocess.run(cmd, check=True)
    features.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(root / "bin" / "fraud"), "features", "backfill", "--input", history, "--labels", cfg["data"]["labels"], "--out", str(features)]
    log("computing features with the TypeScript backfill: " + " ".join(cmd))
    subprocess.run(cmd, check=True)


def train_one(cfg: dict, frame, names: list[str], split: D.Split, algorithm: str, out: Path, fsv: str, labels) -> dict:
    seed = int(cfg["seed"])
    np.random.seed(seed)
    x_all = frame[names].to_numpy(dtype=np.float64)
    y_train_all = D.targets_as_of(frame, labels, split.as_of)
    # The test window is judged on every label in the file: evaluation happens after the gap.
    y_eval_all = D.targets_as_of(frame, labels, None)
    train_mask = D.window(frame, split.train_from, split.valid_from)
    valid_mask = D.window(frame, split.valid_from, split.train_until)
    test_mask = D.window(frame, split.test_from, split.test_until)
    x_tr, y_tr = x_all[train_mask], y_train_all[train_mask]
    x_va, y_va = x_all[valid_mask], y_train_all[valid_mask]
    log(f"{algorithm}: train {len(y_tr)} rows ({int(y_tr.sum())} fraud), validation {len(y_va)} ({int(y_va.sum())}), test {int(test_mask.sum())}")
    if y_tr.sum() == 0:
        raise SystemExit("train: no fraud label in the train window; widen it or check --as-of and the labels file")
    started = time.perf_counter()
    fitted = fit(algorithm, x_tr, y_tr, x_va, y_va, cfg["model"]["params"].get(algorithm), seed, float(cfg["model"]["imbalance_power"]))
    fit_seconds = time.perf_counter() - started
    log(f"{algorithm}: fitted in {fit_seconds:.1f}s" + (f", best iteration {fitted.best_iteration}" if fitted.best_iteration else ""))

    out.mkdir(parents=True, exist_ok=True)
    onx = to_onnx(fitted, len(names))
    (out / "model.onnx").write_bytes(onx.SerializeToString())
    digest = hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest()[:8]
    model_version = f"{algorithm}-{split.train_until.strftime('%Y%m%d')}-{digest}"

    # Thresholds and metrics come from the exported graph's scores: what is evaluated is what
    # is served (the library's own scores differ from ONNX Runtime's by float32 rounding, which
    # can move rows that tie exactly at a threshold).
    days = frame["timestamp"].dt.strftime("%Y-%m-%d").to_numpy()
    cards = frame["card_id"].to_numpy()
    s_va = onnx_predict(out / "model.onnx", x_va)
    th = cfg["threshold"]
    if th.get("review_cards_per_day"):
        review = threshold_for_capacity(s_va, days[valid_mask], cards[valid_mask], float(th["review_cards_per_day"]))
        policy = f"review: {th['review_cards_per_day']} cards/day on validation; block: FPR {th['block_fpr']} on validation"
    else:
        review = threshold_at_fpr(y_va, s_va, float(th["review_fpr"]))
        policy = f"review: FPR {th['review_fpr']} on validation; block: FPR {th['block_fpr']} on validation"
    block = max(review, threshold_at_fpr(y_va, s_va, float(th["block_fpr"])))
    k = int(cfg["evaluation"]["k"])
    results = {"validation": evaluate(y_va, s_va, review, days[valid_mask], cards[valid_mask], k)}
    scored = {"validation": (y_va, s_va)}
    if test_mask.any():
        s_te = onnx_predict(out / "model.onnx", x_all[test_mask])
        results["test"] = evaluate(y_eval_all[test_mask], s_te, review, days[test_mask], cards[test_mask], k)
        scored["test"] = (y_eval_all[test_mask], s_te)
    else:
        log("no transactions in the test window: the report covers validation only")

    explain = explain_structure(fitted, names)
    (out / "explain.json").write_text(json.dumps(explain, separators=(",", ":")))

    # Parity: the exported graph must reproduce the training library's predictions.
    parity_mask = test_mask if test_mask.any() else valid_mask
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(parity_mask)
    idx = np.sort(rng.choice(idx, size=min(int(cfg["export"]["parity_rows"]), len(idx)), replace=False))
    x_par = x_all[idx]
    native = fitted.predict(x_par)
    via_onnx = onnx_predict(out / "model.onnx", x_par)
    parity_diff = float(np.max(np.abs(native - via_onnx))) if len(idx) else 0.0
    contrib = python_contributions(fitted, x_par[:25])
    (out / "parity.json").write_text(
        json.dumps(
            {
                "feature_names": names,
                "rows": [[None if np.isnan(v) else float(v) for v in row] for row in x_par],
                "python": [float(v) for v in native],
                "python_margin": [float(v) for v in fitted.margin(x_par)],
                "contributions": [[float(v) for v in row] for row in contrib],
            },
            separators=(",", ":"),
        )
    )
    log(f"{algorithm}: ONNX vs {algorithm} max |diff| = {parity_diff:.2e} over {len(idx)} rows")
    if parity_diff > 1e-5:
        raise SystemExit(f"train: ONNX export disagrees with the trained model by {parity_diff:.2e} (> 1e-5)")

    import lightgbm
    import onnxruntime
    import sklearn
    import xgboost

    headline = results.get("test", results["validation"])
    meta = {
        "name": cfg["export"]["name"],
        "model_version": model_version,
        "algorithm": algorithm,
        "feature_set_version": fsv,
        "feature_names": names,
        "thresholds": {"review": review, "block": block, "policy": policy},
        "threshold": review,
        "onnx": {"file": "model.onnx", "input": INPUT_NAME, "output": probability_output(onx), "probability_column": 1},
        "explain": {"file": "explain.json", "method": "treeshap" if explain["kind"] == "trees" else "linear"},
        "training": {
            **split.to_json(),
            "gap_days": cfg["split"]["gap_days"],
            "rows": int(len(y_tr) + len(y_va)),
            "positives": int(y_tr.sum() + y_va.sum()),
        },
        "best_iteration": fitted.best_iteration,
        "params": {k: v for k, v in fitted.params.items() if isinstance(v, (int, float, str, bool))},
        "seed": int(cfg["seed"]),
        "metrics": {k: v for k, v in headline.items() if isinstance(v, (int, float))},
        "metrics_window": "test" if "test" in results else "validation",
        "parity_max_abs_diff": parity_diff,
        "created_at": D.iso(D.utc_now()),
        "libraries": {
            "xgboost": xgboost.__version__,
            "lightgbm": lightgbm.__version__,
            "scikit-learn": sklearn.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
        "fit_seconds": round(fit_seconds, 2),
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    write_report(out, meta, results, scored)
    summary = {"out": str(out), "model_version": model_version, "algorithm": algorithm, "thresholds": meta["thresholds"], "results": results}
    if cfg["mlflow"]["enabled"]:
        from .registry import log_run

        flat = {f"{w}_{k}": float(v) for w, r in results.items() for k, v in r.items() if isinstance(v, (int, float))}
        flat.update({f"{w}_brier": r["calibration"]["brier"] for w, r in results.items()})
        flat.update({f"{w}_ece": r["calibration"]["ece"] for w, r in results.items()})
        params = {"algorithm": algorithm, "seed": cfg["seed"], "feature_set_version": fsv, **meta["params"], **split.to_json(), "n_features": len(names)}
        summary["mlflow"] = log_run(out, meta, params, flat, cfg["mlflow"]["register_as"], cfg["mlflow"]["alias"])
        log(f"{algorithm}: MLflow run {summary['mlflow']['run_id']}" + (f", registered {summary['mlflow'].get('registered_model')} v{summary['mlflow'].get('version')}" if summary["mlflow"].get("version") else ""))
    return summary


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    cfg = load_config(args)
    ensure_features(cfg)
    features_path = cfg["data"]["features"]
    frame, names = D.load_features(features_path)
    labels = D.load_labels(cfg["data"]["labels"])
    fsv = D.feature_set_version(features_path, cfg["data"].get("feature_set_version"), names)
    sp = cfg["split"]
    split = D.make_split(
        frame,
        D.parse_instant(sp["train_from"]),
        D.parse_instant(sp["train_until"]),
        D.parse_instant(sp["as_of"]),
        float(sp["gap_days"]),
        float(sp["test_days"]),
        float(sp["valid_fraction"]),
    )
    log(f"{len(frame)} transactions, {len(names)} features ({fsv}); train [{D.iso(split.train_from)}, {D.iso(split.train_until)}), test [{D.iso(split.test_from)}, {D.iso(split.test_until)})")
    out = Path(cfg["export"]["out"])
    if not args.compare:
        summary = train_one(cfg, frame, names, split, cfg["model"]["algorithm"], out, fsv, labels)
        print(json.dumps(summary, allow_nan=True))
        return 0
    summaries = {}
    for algorithm in ALGORITHMS:
        summaries[algorithm] = train_one(cfg, frame, names, split, algorithm, out / algorithm, fsv, labels)
    window = "test" if all("test" in s["results"] for s in summaries.values()) else "validation"
    table = metrics_table({a: s["results"][window] for a, s in summaries.items()})
    (out / "comparison.md").write_text(f"Metrics on the {window} window, at each model's own review threshold.\n\n{table}\n")
    (out / "comparison.json").write_text(json.dumps({a: s["results"] for a, s in summaries.items()}, indent=2, allow_nan=True))
    print(json.dumps({"out": str(out), "window": window, "models": {a: s["model_version"] for a, s in summaries.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
