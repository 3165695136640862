import numpy as np
import pandas as pd

from ml.training import data as D
from ml.training.metrics import calibration, card_precision_at_k, evaluate, recall_at_fpr, threshold_at_fpr


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
