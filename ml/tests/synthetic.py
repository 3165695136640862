"""A synthetic features CSV + labels CSV in the backfill's layout, for tests that must not
depend on the simulator. Fraud depends non-linearly on the features, so trees beat logreg."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FEATURES = ["card_count_1h", "amount", "amount_zscore_card_30d", "merchant_fraud_rate_7d", "device_cards_24h", "hour_of_day"]


def make(dir: Path, rows: int = 12000, days: int = 35, seed: int = 7, fraud_rate: float = 0.02) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-01T00:00:00Z")
    ts = start + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, rows)), unit="s")
    cards = rng.integers(0, rows // 8, rows)
    x = np.column_stack(
        [
            rng.poisson(1.0, rows).astype(float),
            rng.lognormal(3.5, 1.0, rows),
            rng.normal(0, 1, rows),
            rng.beta(1, 60, rows),
            rng.poisson(0.3, rows).astype(float),
            ts.hour.to_numpy().astype(float),
        ]
    )
    # Interactions and thresholds: what tree ensembles capture and a linear model cannot.
    logit = (
        -7.0
        + 3.0 * (x[:, 0] >= 3)
        + 3.0 * (x[:, 2] > 1.2) * (x[:, 1] > 50)
        + 60 * x[:, 3]
        + 2.5 * (x[:, 4] >= 2)
        + 2.5 * ((x[:, 5] < 5) & (x[:, 1] > 80))
    )
    p = 1 / (1 + np.exp(-logit))
    y = rng.uniform(size=rows) < np.minimum(1.0, p * (fraud_rate / p.mean()))
    # Missing values, as the backfill writes them for cards with no history yet.
    x[rng.uniform(size=rows) < 0.05, 2] = np.nan
    ids = [f"tx_{i:06d}" for i in range(rows)]
    frame = pd.DataFrame(
        {
            "transaction_id": ids,
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z",
            "card_id": [f"card_{c}" for c in cards],
            "customer_id": [f"cust_{c}" for c in cards],
            "merchant_id": [f"m_{m}" for m in rng.integers(0, 300, rows)],
        }
    )
    for i, name in enumerate(FEATURES):
        frame[name] = x[:, i]
    features = dir / "features.csv"
    frame.to_csv(features, index=False, na_rep="")
    # Chargebacks arrive 1-30 days later; a few legitimate transactions carry an explicit label too.
    delay = pd.to_timedelta(rng.uniform(1, 30, rows), unit="D")
    labeled_at = (ts + delay).strftime("%Y-%m-%dT%H:%M:%SZ")
    fraud = np.flatnonzero(y)
    legit = rng.choice(np.flatnonzero(~y), size=min(200, int((~y).sum())), replace=False)
    idx = np.concatenate([fraud, legit])
    labels = pd.DataFrame({"transaction_id": np.array(ids)[idx], "is_fraud": np.where(y[idx], "true", "false"), "labeled_at": np.asarray(labeled_at)[idx]})
    labels_path = dir / "labels.csv"
    labels.to_csv(labels_path, index=False)
    return features, labels_path
