"""Evaluation as fraud teams use it (issue 5, item 3).

ROC AUC; average precision (PR AUC); precision, recall, F1 and FPR at the chosen
threshold; recall at 0.1 % and 1 % FPR; card precision@k per day averaged over days;
calibration (Brier score, expected calibration error, reliability table).
The TypeScript `bin/fraud evaluate` implements the same definitions (src/services/ml/metrics.ts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve


def _just_above(scores: np.ndarray, v: float) -> float:
    """A threshold flagging exactly the scores > v, half-way to the next higher score: rows tied
    at v stay unflagged even if another runtime rounds their score by one float32 ulp."""
    higher = scores[scores > v]
    if len(higher) == 0:
        return float(np.nextafter(np.float32(v), np.float32(np.inf)))
    return float((v + higher.min()) / 2)


def threshold_at_fpr(y: np.ndarray, scores: np.ndarray, fpr: float) -> float:
    """Lowest threshold whose false-positive rate (score >= t among legitimate) is <= fpr."""
    neg = np.sort(scores[y == 0])[::-1]
    if len(neg) == 0:
        return 0.5
    allowed = int(np.floor(fpr * len(neg)))
    # Flag everything strictly above the (allowed+1)-th highest legitimate score.
    if allowed >= len(neg):
        return float(neg[-1])
    return _just_above(scores, float(neg[allowed]))


def threshold_for_capacity(
    scores: np.ndarray, days: np.ndarray, cards: np.ndarray, cards_per_day: float
) -> float:
    """Threshold that flags on average `cards_per_day` distinct cards per day."""
    frame = pd.DataFrame({"day": days, "card": cards, "score": scores})
    per_card = frame.groupby(["day", "card"], sort=False)["score"].max().reset_index()
    n_days = max(1, per_card["day"].nunique())
    budget = int(round(cards_per_day * n_days))
    ranked = np.sort(per_card["score"].to_numpy())[::-1]
    if budget <= 0:
        return float(np.nextafter(np.float32(ranked[0]), np.float32(np.inf)))
    if budget >= len(ranked):
        return float(ranked[-1])
    return _just_above(ranked, float(ranked[budget]))


def recall_at_fpr(y: np.ndarray, scores: np.ndarray, fpr: float) -> float:
    t = threshold_at_fpr(y, scores, fpr)
    pos = scores[y == 1]
    return float((pos >= t).mean()) if len(pos) else float("nan")


def card_precision_at_k(
    y: np.ndarray, scores: np.ndarray, days: np.ndarray, cards: np.ndarray, k: int
) -> float:
    """Per day, the share of the k highest-scored cards that really were defrauded; mean over days."""
    frame = pd.DataFrame({"day": days, "card": cards, "score": scores, "y": y})
    per_card = frame.groupby(["day", "card"], sort=False).agg(score=("score", "max"), y=("y", "max")).reset_index()
    values = []
    for _, day in per_card.groupby("day", sort=True):
        top = day.sort_values(["score", "card"], ascending=[False, True], kind="stable").head(k)
        values.append(top["y"].sum() / k)
    return float(np.mean(values)) if values else float("nan")


def calibration(y: np.ndarray, scores: np.ndarray, bins: int = 10) -> dict:
    """Brier score, expected calibration error over equal-width bins, and the reliability table."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(scores, edges[1:-1], right=False), 0, bins - 1)
    table = []
    ece = 0.0
    for b in range(bins):
        m = idx == b
        n = int(m.sum())
        if n == 0:
            continue
        mean_score = float(scores[m].mean())
        rate = float(y[m].mean())
        ece += n / len(y) * abs(mean_score - rate)
        table.append({"bin": [float(edges[b]), float(edges[b + 1])], "count": n, "mean_score": mean_score, "fraud_rate": rate})
    return {"brier": float(brier_score_loss(y, scores)), "ece": float(ece), "reliability": table}


def evaluate(
    y: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    days: np.ndarray | None = None,
    cards: np.ndarray | None = None,
    k: int = 50,
) -> dict:
    """Every metric of issue 5 for one scored window."""
    y = np.asarray(y).astype(np.int32)
    scores = np.asarray(scores, dtype=np.float64)
    pred = scores >= threshold
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    tn = int((~pred & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    both = len(np.unique(y)) == 2
    out = {
        "rows": int(len(y)),
        "positives": int(y.sum()),
        "fraud_rate": float(y.mean()) if len(y) else 0.0,
        "roc_auc": float(roc_auc_score(y, scores)) if both else float("nan"),
        "average_precision": float(average_precision_score(y, scores)) if both else float("nan"),
        "threshold": float(threshold),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "recall_at_0_1pct_fpr": recall_at_fpr(y, scores, 0.001),
        "recall_at_1pct_fpr": recall_at_fpr(y, scores, 0.01),
    }
    if days is not None and cards is not None:
        out["card_precision_at_k"] = card_precision_at_k(y, scores, days, cards, k)
        out["k"] = int(k)
    out["calibration"] = calibration(y, scores)
    return out


def curves(y: np.ndarray, scores: np.ndarray) -> dict:
    from sklearn.metrics import precision_recall_curve

    fpr, tpr, _ = roc_curve(y, scores)
    precision, recall, _ = precision_recall_curve(y, scores)
    return {"roc": (fpr, tpr), "pr": (recall, precision)}
