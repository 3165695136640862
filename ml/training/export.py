"""Export for serving in TypeScript: ONNX graph + the model's structure for explanations.

- `model.onnx`: one float32 input `features` [N, n_features] in `feature_names` order
  (NaN = missing), output `probabilities` [N, 2]; column 1 is the fraud probability.
- `explain.json`: the tree ensemble (XGBoost, LightGBM) in one flat layout per tree, which
  the TypeScript TreeSHAP walks; or the linear model (logistic regression) as
  imputation + standardisation + coefficients. Both satisfy sum(contributions) + bias = margin.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .models import Fitted

INPUT_NAME = "features"


def to_onnx(fitted: Fitted, n_features: int):
    onx = _convert(fitted, n_features)
    # Converters name the graph with a random UUID; a fixed name keeps the file (and the
    # content hash in model_version) reproducible for a given seed and data.
    onx.graph.name = f"fraud_{fitted.algorithm}"
    # Opset imports come out in set-iteration order (varies with the hash seed): sort them.
    ordered = sorted(((o.domain, o.version) for o in onx.opset_import))
    del onx.opset_import[:]
    for domain, version in ordered:
        onx.opset_import.add(domain=domain, version=version)
    return onx


def _convert(fitted: Fitted, n_features: int):
    from onnxmltools.convert.common.data_types import FloatTensorType

    initial = [(INPUT_NAME, FloatTensorType([None, n_features]))]
    if fitted.algorithm == "xgboost":
        import onnxmltools

        return onnxmltools.convert_xgboost(fitted.model, initial_types=initial, target_opset=15)
    if fitted.algorithm == "lightgbm":
        import onnxmltools

        return onnxmltools.convert_lightgbm(fitted.model, initial_types=initial, zipmap=False, target_opset=15)
    from skl2onnx import to_onnx as skl_to_onnx
    from skl2onnx.common.data_types import FloatTensorType as SkFloat

    return skl_to_onnx(
        fitted.model,
        initial_types=[(INPUT_NAME, SkFloat([None, n_features]))],
        options={id(fitted.model): {"zipmap": False}},
        target_opset=15,
    )


def probability_output(onnx_model) -> str:
    names = [o.name for o in onnx_model.graph.output]
    for name in ("probabilities", "probability", "output_probability"):
        if name in names:
            return name
    return names[-1]


def _xgboost_trees(booster) -> tuple[list[dict], float]:
    cfg = json.loads(booster.save_config())
    raw = cfg["learner"]["learner_model_param"]["base_score"].strip("[]")
    base = float(raw)
    base_margin = math.log(base / (1 - base))
    trees = []
    for dump in booster.get_dump(dump_format="json", with_stats=True):
        root = json.loads(dump)
        nodes: dict[int, dict] = {}

        def walk(n: dict) -> None:
            nodes[n["nodeid"]] = n
            for c in n.get("children", []):
                walk(c)

        walk(root)
        size = max(nodes) + 1
        t = {k: [0] * size for k in ("left", "right", "missing", "feature")}
        t["threshold"] = [0.0] * size
        t["value"] = [0.0] * size
        t["cover"] = [0.0] * size
        for i, n in nodes.items():
            t["cover"][i] = float(n["cover"])
            if "leaf" in n:
                t["feature"][i] = -1
                t["left"][i] = t["right"][i] = t["missing"][i] = -1
                t["value"][i] = float(n["leaf"])
            else:
                t["feature"][i] = int(n["split"].lstrip("f"))
                t["threshold"][i] = float(n["split_condition"])
                t["left"][i], t["right"][i], t["missing"][i] = n["yes"], n["no"], n["missing"]
        trees.append(t)
    return trees, base_margin


def _lightgbm_trees(booster) -> tuple[list[dict], float]:
    trees = []
    for info in booster.dump_model()["tree_info"]:
        flat: dict[str, list] = {k: [] for k in ("left", "right", "missing", "feature", "threshold", "value", "cover")}

        def add(n: dict) -> int:
            i = len(flat["left"])
            for k in flat:
                flat[k].append(0)
            if "leaf_value" in n:
                flat["feature"][i] = -1
                flat["left"][i] = flat["right"][i] = flat["missing"][i] = -1
                flat["value"][i] = float(n["leaf_value"])
                flat["cover"][i] = float(n.get("leaf_count", 0)) or float(n.get("leaf_weight", 0))
                flat["threshold"][i] = 0.0
                return i
            if n["decision_type"] != "<=":
                raise ValueError(f"unsupported LightGBM split {n['decision_type']} (categorical features are not used)")
            if n["missing_type"] == "Zero":
                raise ValueError("LightGBM zero_as_missing splits are not supported; keep NaN as missing")
            left = add(n["left_child"])
            right = add(n["right_child"])
            thr = float(n["threshold"])
            flat["feature"][i] = int(n["split_feature"])
            flat["threshold"][i] = thr
            flat["left"][i], flat["right"][i] = left, right
            flat["cover"][i] = float(n["internal_count"])
            if n["missing_type"] == "NaN":
                flat["missing"][i] = left if n["default_left"] else right
            else:  # 'None': LightGBM reads NaN as 0.0 for this feature
                flat["missing"][i] = left if 0.0 <= thr else right
            return i

        add(info["tree_structure"])
        trees.append(flat)
    return trees, 0.0


def explain_structure(fitted: Fitted, feature_names: list[str]) -> dict:
    if fitted.algorithm == "xgboost":
        trees, base = _xgboost_trees(fitted.model)
        # XGBoost goes left when x < threshold; LightGBM when x <= threshold.
        return {"kind": "trees", "decision": "<", "base_margin": base, "features": feature_names, "trees": trees}
    if fitted.algorithm == "lightgbm":
        trees, base = _lightgbm_trees(fitted.model)
        return {"kind": "trees", "decision": "<=", "base_margin": base, "features": feature_names, "trees": trees}
    imputer = fitted.model.named_steps["impute"]
    scaler = fitted.model.named_steps["scale"]
    lr = fitted.model.named_steps["logreg"]
    return {
        "kind": "linear",
        "features": feature_names,
        "impute": [float(v) for v in imputer.statistics_],
        "mean": [float(v) for v in scaler.mean_],
        "scale": [float(v) for v in scaler.scale_],
        "coef": [float(v) for v in lr.coef_[0]],
        "intercept": float(lr.intercept_[0]),
    }


def python_contributions(fitted: Fitted, x: np.ndarray) -> np.ndarray:
    """Reference explanations from the training library: [N, n_features + 1], last column = bias."""
    x = x.astype(np.float32)
    if fitted.algorithm == "xgboost":
        import xgboost as xgb

        return fitted.model.predict(xgb.DMatrix(x, missing=np.nan), pred_contribs=True).astype(np.float64)
    if fitted.algorithm == "lightgbm":
        return fitted.model.predict(x, pred_contrib=True).astype(np.float64)
    s = explain_structure(fitted, [str(i) for i in range(x.shape[1])])
    xi = np.where(np.isnan(x), np.array(s["impute"]), x)
    z = (xi - np.array(s["mean"])) / np.array(s["scale"])
    contrib = z * np.array(s["coef"])
    return np.hstack([contrib, np.full((len(x), 1), s["intercept"])])


def onnx_predict(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]
    name = next((n for n in ("probabilities", "probability", "output_probability") if n in out_names), out_names[-1])
    (probs,) = sess.run([name], {INPUT_NAME: x.astype(np.float32)})
    return np.asarray(probs)[:, 1].astype(np.float64)
