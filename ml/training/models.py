"""The three learners: XGBoost, LightGBM and a logistic-regression baseline.

Each is fitted on the train window minus its time-ordered tail, which serves for early
stopping of the tree models on class-weighted log loss (smoother than AUC-PR on few
positives). Class imbalance: the tree models weight the fraud class by `scale_pos_weight` =
(legit/fraud) ** `imbalance_power` (0.5 by default: a moderate weight that helps ranking
without wrecking calibration); logistic regression uses balanced class weights. Everything is
seeded and deterministic (same data + seed = byte-identical ONNX, tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ALGORITHMS = ("xgboost", "lightgbm", "logreg")


@dataclass
class Fitted:
    algorithm: str
    model: Any
    params: dict
    best_iteration: int | None

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32)
        if self.algorithm == "xgboost":
            import xgboost as xgb

            return self.model.predict(xgb.DMatrix(x, missing=np.nan)).astype(np.float64)
        if self.algorithm == "lightgbm":
            return self.model.predict(x).astype(np.float64)
        return self.model.predict_proba(x)[:, 1].astype(np.float64)

    def margin(self, x: np.ndarray) -> np.ndarray:
        """Raw log-odds (before the sigmoid)."""
        x = x.astype(np.float32)
        if self.algorithm == "xgboost":
            import xgboost as xgb

            return self.model.predict(xgb.DMatrix(x, missing=np.nan), output_margin=True).astype(np.float64)
        if self.algorithm == "lightgbm":
            return self.model.predict(x, raw_score=True).astype(np.float64)
        return self.model.decision_function(x).astype(np.float64)


def scale_pos_weight(y: np.ndarray, power: float) -> float:
    pos = max(1, int(y.sum()))
    neg = max(1, int(len(y) - y.sum()))
    return float((neg / pos) ** power)


def fit(
    algorithm: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    params: dict | None,
    seed: int,
    imbalance_power: float = 0.5,
    threads: int = 2,
) -> Fitted:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm '{algorithm}' (expected one of {', '.join(ALGORITHMS)})")
    params = dict(params or {})
    x_train = x_train.astype(np.float32)
    x_valid = x_valid.astype(np.float32)
    has_valid = len(y_valid) > 0 and len(np.unique(y_valid)) == 2
    if algorithm == "xgboost":
        import xgboost as xgb

        p = {
            "n_estimators": 600,
            "learning_rate": 0.08,
            "max_depth": 6,
            "min_child_weight": 1.0,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "reg_lambda": 1.0,
            "tree_method": "hist",
            "max_bin": 256,
            "early_stopping_rounds": 40,
            **params,
        }
        p["scale_pos_weight"] = p.get("scale_pos_weight") or scale_pos_weight(y_train, imbalance_power)
        if not has_valid:
            p.pop("early_stopping_rounds", None)
        model = xgb.XGBClassifier(
            **p, objective="binary:logistic", eval_metric="logloss", random_state=seed, n_jobs=threads
        )
        # The validation log loss carries the same class weights as training: early stopping
        # then optimises the objective being fitted (unweighted log loss would stop at once,
        # since up-weighting fraud shifts probabilities up).
        w_valid = np.where(y_valid == 1, p["scale_pos_weight"], 1.0)
        model.fit(
            x_train,
            y_train,
            eval_set=[(x_valid, y_valid)] if has_valid else None,
            sample_weight_eval_set=[w_valid] if has_valid else None,
            verbose=False,
        )
        best = getattr(model, "best_iteration", None) if has_valid else None
        booster = model.get_booster()
        # Keep only the trees up to the best validation round: a smaller, faster model.
        if best is not None:
            booster = booster[: best + 1]
        return Fitted(algorithm, booster, p, None if best is None else best + 1)
    if algorithm == "lightgbm":
        import lightgbm as lgb

        p = {
            "n_estimators": 600,
            "learning_rate": 0.08,
            "num_leaves": 31,
            "min_child_samples": 20,
            "subsample": 0.8,
            "subsample_freq": 1,
            "colsample_bytree": 0.8,
            "reg_lambda": 1.0,
            **params,
        }
        p["scale_pos_weight"] = p.get("scale_pos_weight") or scale_pos_weight(y_train, imbalance_power)
        rounds = int(p.pop("early_stopping_rounds", 40))
        model = lgb.LGBMClassifier(
            **p, objective="binary", random_state=seed, n_jobs=threads, deterministic=True, force_row_wise=True, verbose=-1
        )
        callbacks = [lgb.early_stopping(rounds, verbose=False)] if has_valid else []
        model.fit(
            x_train,
            y_train,
            eval_X=(x_valid,) if has_valid else None,
            eval_y=(y_valid,) if has_valid else None,
            eval_sample_weight=[np.where(y_valid == 1, p["scale_pos_weight"], 1.0)] if has_valid else None,
            eval_metric="binary_logloss",
            callbacks=callbacks,
        )
        best = (model.best_iteration_ or None) if has_valid else None
        # Keep only the trees up to the best validation round: a smaller, faster model.
        booster = lgb.Booster(model_str=model.booster_.model_to_string(num_iteration=best or -1))
        return Fitted(algorithm, booster, p, best)
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    p = {"C": 1.0, "max_iter": 2000, "class_weight": "balanced", **params}
    model = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("logreg", LogisticRegression(**p, random_state=seed)),
        ]
    )
    model.fit(x_train, y_train)
    return Fitted(algorithm, model, p, None)
