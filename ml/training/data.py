"""Loading the offline feature table and labels, point-in-time targets and time splits.

Features are never computed here: the table comes from the TypeScript offline backfill
(`bin/fraud features backfill`), so training and serving share one feature definition.
Its columns are `transaction_id,timestamp,card_id,customer_id,merchant_id,<features...>`
with an empty cell for a missing value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

ID_COLUMNS = ["transaction_id", "timestamp", "card_id", "customer_id", "merchant_id"]
REPO_ROOT = Path(__file__).resolve().parents[2]


def parse_instant(value: str | datetime | None) -> pd.Timestamp | None:
    """A CLI/config date or timestamp as a UTC instant. A bare date means its midnight UTC."""
    if value is None or value == "":
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def load_features(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Reads the backfill CSV; returns the frame (sorted by time) and the feature names in order."""
    header = pd.read_csv(path, nrows=0).columns.tolist()
    missing = [c for c in ID_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{path}: features CSV lacks column(s) {missing}; expected {ID_COLUMNS} + features")
    feature_names = [c for c in header if c not in ID_COLUMNS]
    if not feature_names:
        raise ValueError(f"{path}: features CSV has no feature columns")
    dtypes = {c: "string" for c in ID_COLUMNS}
    dtypes.update({f: "float64" for f in feature_names})
    df = pd.read_csv(path, dtype=dtypes, keep_default_na=True, na_values=[""])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
    # A stable sort keeps the backfill's order for equal timestamps: reproducible splits.
    df = df.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return df, feature_names


def load_labels(path: str | Path) -> pd.DataFrame:
    """`transaction_id,is_fraud,labeled_at[,scenario]`; the latest label per transaction wins."""
    df = pd.read_csv(path, dtype={"transaction_id": "string", "is_fraud": "string", "labeled_at": "string"})
    for col in ("transaction_id", "is_fraud", "labeled_at"):
        if col not in df.columns:
            raise ValueError(f"{path}: labels CSV lacks column '{col}'")
    truthy = df["is_fraud"].str.strip().str.lower().isin(["true", "1", "yes"])
    df = df.assign(is_fraud=truthy, labeled_at=pd.to_datetime(df["labeled_at"], utc=True, format="ISO8601"))
    return df.sort_values("labeled_at", kind="stable")


def targets_as_of(features: pd.DataFrame, labels: pd.DataFrame, as_of: pd.Timestamp | None) -> np.ndarray:
    """1 where the latest label known strictly before `as_of` says fraud, else 0.

    Issue 5: "The training target uses the labels known at the training cutoff `--as-of`."
    An unlabelled transaction counts as legitimate, as in production where only fraud
    (chargebacks, confirmed cases) is ever reported.
    """
    known = labels if as_of is None else labels[labels["labeled_at"] < as_of]
    latest = known.drop_duplicates("transaction_id", keep="last").set_index("transaction_id")["is_fraud"]
    return features["transaction_id"].map(latest).fillna(False).astype(bool).to_numpy().astype(np.int32)


def window(df: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> np.ndarray:
    """Boolean mask for the half-open range [start, end)."""
    mask = np.ones(len(df), dtype=bool)
    if start is not None:
        mask &= (df["timestamp"] >= start).to_numpy()
    if end is not None:
        mask &= (df["timestamp"] < end).to_numpy()
    return mask


@dataclass(frozen=True)
class Split:
    train_from: pd.Timestamp
    train_until: pd.Timestamp
    test_from: pd.Timestamp
    test_until: pd.Timestamp
    as_of: pd.Timestamp
    valid_from: pd.Timestamp

    def to_json(self) -> dict[str, str]:
        return {k: iso(v) for k, v in self.__dict__.items()}


def make_split(
    df: pd.DataFrame,
    train_from: pd.Timestamp | None,
    train_until: pd.Timestamp | None,
    as_of: pd.Timestamp | None,
    gap_days: float,
    test_days: float,
    valid_fraction: float,
) -> Split:
    """Train [from, until), a label-delay gap, then a test window; validation = the train window's tail."""
    first = df["timestamp"].iloc[0]
    last = df["timestamp"].iloc[-1]
    tf = train_from if train_from is not None else first.floor("D")
    tu = train_until if train_until is not None else last + pd.Timedelta(microseconds=1)
    test_from = tu + pd.Timedelta(days=gap_days)
    test_until = test_from + pd.Timedelta(days=test_days)
    end_of_history = last + pd.Timedelta(microseconds=1)
    ao = as_of if as_of is not None else end_of_history
    # Early stopping and threshold choice use the latest part of the train window: it is the
    # closest in time to what the model will score, and it is never trained on.
    in_train = df.loc[window(df, tf, tu), "timestamp"]
    if len(in_train) == 0:
        raise ValueError(f"no transactions in the train window [{iso(tf)}, {iso(tu)})")
    valid_from = in_train.iloc[int(len(in_train) * (1 - valid_fraction))]
    return Split(tf, tu, test_from, test_until, ao, valid_from)


def iso(ts: pd.Timestamp | datetime) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def feature_set_version(features_path: str | Path, explicit: str | None, names: list[str] | None = None) -> str:
    """The catalogue version the features were computed with.

    Order: explicit value, a `<features>.meta.json` sidecar, then the TypeScript catalogue
    (`FEATURE_SET_VERSION` in src/core/features) — the one definition serving also checks.
    """
    if explicit:
        return explicit
    sidecar = Path(f"{features_path}.meta.json")
    if sidecar.exists():
        meta = json.loads(sidecar.read_text())
        if meta.get("feature_set_version"):
            return str(meta["feature_set_version"])
    # The version is a hash of the TypeScript definitions: ask the catalogue itself.
    import subprocess

    out = subprocess.run(
        [str(REPO_ROOT / "bin" / "fraud"), "features", "catalogue", "--json"], check=True, capture_output=True, text=True
    ).stdout
    catalogue = json.loads(out)
    expected = [f["name"] for f in catalogue["features"]]
    if names is not None and list(names) != expected:
        raise ValueError(
            f"{features_path} columns do not match the current feature catalogue {catalogue['version']}: "
            "recompute it with `bin/fraud features backfill` or pass --feature-set-version"
        )
    return str(catalogue["version"])


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


__all__ = [
    "ID_COLUMNS",
    "Split",
    "feature_set_version",
    "iso",
    "load_features",
    "load_labels",
    "make_split",
    "parse_instant",
    "targets_as_of",
    "timedelta",
    "utc_now",
    "window",
]
