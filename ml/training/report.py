"""The evaluation report next to the model: report.json, report.md, roc.png, pr.png."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .metrics import curves

METRIC_ROWS = [
    ("roc_auc", "ROC AUC"),
    ("average_precision", "Average precision (PR AUC)"),
    ("precision", "Precision @ threshold"),
    ("recall", "Recall @ threshold"),
    ("f1", "F1 @ threshold"),
    ("fpr", "False-positive rate @ threshold"),
    ("recall_at_0_1pct_fpr", "Recall @ 0.1 % FPR"),
    ("recall_at_1pct_fpr", "Recall @ 1 % FPR"),
    ("card_precision_at_k", "Card precision@k (per day, mean)"),
]


def fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def metrics_table(results: dict[str, dict]) -> str:
    """Markdown table: one column per evaluated set (or model)."""
    cols = list(results)
    lines = ["| Metric | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    rows = [("rows", "Transactions"), ("positives", "Fraud transactions"), ("threshold", "Threshold")] + METRIC_ROWS
    for key, label in rows:
        if key == "card_precision_at_k":
            ks = {results[c].get("k") for c in cols}
            label = f"Card precision@{'/'.join(str(k) for k in ks if k)} (per day, mean)"
        lines.append(f"| {label} | " + " | ".join(fmt(results[c].get(key)) for c in cols) + " |")
    lines.append("| Brier score | " + " | ".join(fmt(results[c]["calibration"]["brier"]) for c in cols) + " |")
    lines.append("| Expected calibration error | " + " | ".join(fmt(results[c]["calibration"]["ece"]) for c in cols) + " |")
    return "\n".join(lines)


def plot_curves(out: Path, scored: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    for kind, title, xl, yl in (("roc", "ROC curve", "False-positive rate", "Recall"), ("pr", "Precision-recall curve", "Recall", "Precision")):
        fig, ax = plt.subplots(figsize=(5, 4), dpi=80)
        for label, (y, s) in scored.items():
            if len(np.unique(y)) < 2:
                continue
            xs, ys = curves(y, s)[kind]
            ax.plot(xs, ys, label=label, linewidth=1.2)
        if kind == "roc":
            ax.set_xscale("log")
            ax.set_xlim(1e-4, 1)
        ax.set_title(title)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if kind == "roc" else "upper right", fontsize=8)
        fig.tight_layout()
        name = f"{kind}.png"
        fig.savefig(out / name)
        plt.close(fig)
        files.append(name)
    return files


def write_report(out: Path, meta: dict, results: dict[str, dict], scored: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    images = plot_curves(out, scored)
    report = {"model_version": meta["model_version"], "algorithm": meta["algorithm"], "split": meta["training"], "results": results}
    (out / "report.json").write_text(json.dumps(report, indent=2, allow_nan=True) + "\n")
    t = meta["training"]
    thr = meta["thresholds"]
    md = [
        f"# Model report: {meta['model_version']}",
        "",
        f"- Algorithm: **{meta['algorithm']}**, feature set `{meta['feature_set_version']}` ({len(meta['feature_names'])} features), seed {meta['seed']}.",
        f"- Train window [{t['train_from']}, {t['train_until']}), labels known before {t['as_of']}; "
        f"early stopping and thresholds on its last part from {t['valid_from']}"
        + (f" (best iteration {meta['best_iteration']})." if meta.get("best_iteration") else "."),
        f"- Test window [{t['test_from']}, {t['test_until']}) after a {t['gap_days']}-day label-delay gap.",
        f"- Thresholds: review ≥ {thr['review']:.6f}, block ≥ {thr['block']:.6f} ({thr['policy']}).",
        "",
        "## Metrics (at the review threshold)",
        "",
        metrics_table(results),
        "",
        "Calibration (reliability, test window when present):",
        "",
        "| Score bin | Transactions | Mean score | Fraud rate |",
        "|---|---|---|---|",
    ]
    cal_key = "test" if "test" in results else next(iter(results))
    for b in results[cal_key]["calibration"]["reliability"]:
        md.append(f"| [{b['bin'][0]:.1f}, {b['bin'][1]:.1f}) | {b['count']} | {b['mean_score']:.4f} | {b['fraud_rate']:.4f} |")
    md += ["", *[f"![{i}]({i})" for i in images], ""]
    (out / "report.md").write_text("\n".join(md))
