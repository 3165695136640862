import numpy as np
import pandas as pd

from ml.training import data as D
from ml.training.metrics import (
    calibration,
    card_precision_at_k,
    evaluate,
    recall_at_fpr,
    threshold_at_fpr,
    threshold_for_capacity,
)


def test_threshold_at_fpr_flags_at_most_the_allowed_share_of_legitimate():
    y = np.array([0] * 1000 + [1] * 10)
    scores = np.concatenate([np.linspace(0, 0.5, 1000), np.full(10, 0.9)])
    t = threshold_at_fpr(y, scores, 0.01)
    flagged_legit = int((scores[y == 0] >= t).sum())
    assert flagged_legit == 10
    assert recall_at_fpr(y, scores, 0.01) == 1.0


def test_card_precision_at_k_is_per_day_over_cards_then_averaged():
    # Day 1: card a (fraud, 2 tx), b (legit), c (legit). Top-2 cards = a, b -> 1/2.
    # Day 2: card d (fraud), e (fraud). Top-2 = d, e -> 2/2. Mean = 0.75.
    days = np.array(["d1", "d1", "d1", "d1", "d2", "d2"])
    cards = np.array(["a", "a", "b", "c", "d", "e"])
    scores = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.6])
    y = np.array([1, 0, 0, 0, 1, 1])
    assert card_precision_at_k(y, scores, days, cards, k=2) == 0.75


def test_calibration_of_a_perfectly_calibrated_score_is_near_zero():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=200_000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    assert calibration(y, p)["ece"] < 0.01


def test_evaluate_confusion_counts_at_threshold():
    y = np.array([1, 1, 0, 0, 0])
    s = np.array([0.9, 0.4, 0.6, 0.1, 0.2])
    m = evaluate(y, s, 0.5)
    assert m["confusion"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 2}
    assert m["precision"] == 0.5 and m["recall"] == 0.5 and abs(m["fpr"] - 1 / 3) < 1e-12


def test_targets_use_only_labels_known_before_as_of():
    frame = pd.DataFrame({"transaction_id": ["t1", "t2", "t3"]})
    labels = pd.DataFrame(
        {
            "transaction_id": ["t1", "t2", "t3", "t3"],
            "is_fraud": [True, True, True, False],
            "labeled_at": pd.to_datetime(
                ["2025-01-05T00:00:00Z", "2025-01-20T00:00:00Z", "2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z"], utc=True
            ),
        }
    )
    as_of = D.parse_instant("2025-01-10")
    # t2's chargeback arrives after the cutoff; t3 was reversed by a later (still known) label.
    assert D.targets_as_of(frame, labels, as_of).tolist() == [1, 0, 0]
    assert D.targets_as_of(frame, labels, None).tolist() == [1, 1, 0]


def test_windows_are_half_open():
    frame = pd.DataFrame({"timestamp": pd.to_datetime(["2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"], utc=True)})
    assert D.window(frame, D.parse_instant("2025-01-01"), D.parse_instant("2025-01-02")).tolist() == [True, False]


def test_capacity_threshold_flags_the_daily_review_budget_in_cards():
    rng = np.random.default_rng(3)
    days = np.repeat(["d1", "d2", "d3"], 400)
    cards = np.array([f"c{i % 200}" for i in range(1200)])  # two transactions per card and day
    scores = rng.uniform(size=1200)
    t = threshold_for_capacity(scores, days, cards, cards_per_day=20)
    frame = pd.DataFrame({"day": days, "card": cards, "flag": scores >= t})
    flagged_cards_per_day = frame[frame["flag"]].groupby("day")["card"].nunique()
    assert flagged_cards_per_day.sum() == 60  # 20 cards/day on average over the 3 days


def test_threshold_sits_between_tied_scores_and_the_next_one():
    # 98 legitimate rows tied at 0.3: a 1-ulp rounding of them must not flip them over the threshold.
    y = np.array([0] * 100 + [1])
    scores = np.array([0.9, 0.5] + [0.3] * 98 + [0.95])
    t = threshold_at_fpr(y, scores, 0.02)  # two legitimate rows may be flagged: 0.9 and 0.5
    assert abs(t - 0.4) < 1e-12
