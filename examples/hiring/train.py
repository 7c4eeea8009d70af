"""Trains a model that predicts which job applicants become high performers.

Reads params.yaml and data/applicants.csv, splits off a stratified holdout set, trains a
logistic regression (scaled) or a gradient boosting classifier, and records everything through
the provenant helper: seed, params, metric history, final metrics (including the selection rate
of each group and the disparate impact ratio Togruta/Weequay), holdout predictions with features
and group, and the pickled model.

The group is not a model feature, yet the model selects Togruta applicants less often: university
attendance, which differs between the groups, carries it.

    provenant run -- python3 train.py      (or: python3 train.py, which records nothing)
"""

import csv
import os
import pickle
import sys

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import provenant

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "applicants.csv")
PARAMS = os.path.join(HERE, "params.yaml")
MODEL = os.path.join(HERE, "model.pkl")

TARGET = "high_performer"
GROUP = "group"
PRIVILEGED, UNPRIVILEGED = "Weequay", "Togruta"
INT_FEATURES = ["age", "university", "education_level", "test_score", "referrals"]
FLOAT_FEATURES = ["years_experience", "interview_score"]
FEATURES = ["age", "years_experience", "university", "education_level", "test_score", "interview_score", "referrals"]


# --------------------------------------------------------------------------- params.yaml


def _scalar(text):
    """A YAML scalar: null, booleans, integers, floats, or a (possibly quoted) string."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_params(path):
    """Reads the nested `key: value` mappings of params.yaml (the subset of YAML it uses),
    so the demo needs no YAML package."""
    root = {}
    stack = [(-1, root)]  # (indent, mapping)
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip(" "))
            key, sep, value = line.strip().partition(":")
            if not sep or not key:
                raise ValueError("%s:%d: expected `key: value`, got %r" % (path, number, raw.rstrip()))
            while indent <= stack[-1][0]:
                stack.pop()
            parent = stack[-1][1]
            value = value.strip()
            if value:
                parent[key.strip()] = _scalar(value)
            else:
                child = {}
                parent[key.strip()] = child
                stack.append((indent, child))
    return root


# --------------------------------------------------------------------------- data


def read_applicants(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = {name: [row[name] for row in rows] for name in rows[0]}
    data = {name: np.array(columns[name], dtype=np.int64) for name in INT_FEATURES + [TARGET]}
    data.update({name: np.array(columns[name], dtype=np.float64) for name in FLOAT_FEATURES})
    data[GROUP] = np.array(columns[GROUP])
    return data


def build_model(model_params, seed):
    kind = model_params.get("type", "logistic_regression")
    if kind == "logistic_regression":
        return Pipeline([
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=float(model_params.get("C", 1.0)), max_iter=int(model_params.get("max_iter", 1000)))),
        ])
    if kind == "gradient_boosting":
        return GradientBoostingClassifier(
            n_estimators=int(model_params.get("n_estimators", 100)),
            max_depth=int(model_params.get("max_depth", 3)),
            learning_rate=float(model_params.get("learning_rate", 0.1)),
            random_state=seed,
        )
    raise ValueError("params.yaml: model.type must be logistic_regression or gradient_boosting, got %r" % kind)


def selection_rate(y_pred, groups, name):
    chosen = y_pred[groups == name]
    return float(chosen.mean()) if len(chosen) else float("nan")


# --------------------------------------------------------------------------- training


def log_history(model, X_train, y_train, X_test, y_test, seed):
    """Metric history with steps: the boosting stages for gradient boosting, a learning curve
    over growing shares of the training set for logistic regression."""
    if isinstance(model, GradientBoostingClassifier):
        staged = zip(model.staged_predict_proba(X_train), model.staged_predict_proba(X_test))
        for stage, (p_train, p_test) in enumerate(staged, 1):
            provenant.log_metrics({
                "train_log_loss": log_loss(y_train, p_train[:, 1], labels=[0, 1]),
                "holdout_log_loss": log_loss(y_test, p_test[:, 1], labels=[0, 1]),
            }, step=stage)
        return "boosting stages"
    order = np.random.RandomState(seed).permutation(len(y_train))
    for share in np.linspace(0.1, 1.0, 10):
        size = int(round(share * len(y_train)))
        rows = order[:size]
        partial = clone(model).fit(X_train[rows], y_train[rows])
        p_test = partial.predict_proba(X_test)[:, 1]
        provenant.log_metrics({
            "train_log_loss": log_loss(y_train[rows], partial.predict_proba(X_train[rows])[:, 1], labels=[0, 1]),
            "holdout_log_loss": log_loss(y_test, p_test, labels=[0, 1]),
            "holdout_roc_auc": roc_auc_score(y_test, p_test),
        }, step=size)
    return "learning curve (step = training rows)"


def main():
    params = read_params(PARAMS)
    seed = provenant.seed_everything(default=params.get("seed"))
    model_params = params.get("model", {})
    test_size = float(params.get("split", {}).get("test_size", 0.25))
    threshold = float(params.get("threshold", 0.5))

    data = read_applicants(DATA)
    X = np.column_stack([data[name].astype(np.float64) for name in FEATURES])
    y = data[TARGET]
    index = np.arange(len(y))
    train_idx, test_idx = train_test_split(index, test_size=test_size, random_state=seed, stratify=y)
    X_train, X_test, y_train, y_test = X[train_idx], X[test_idx], y[train_idx], y[test_idx]

    provenant.log_params(dict(params, seed=seed))  # the seed actually used (PROVENANT_SEED wins)
    provenant.log_params({"data": {"rows": len(y), "train_rows": len(train_idx), "holdout_rows": len(test_idx)},
                          "features": ",".join(FEATURES)})

    model = build_model(model_params, seed)
    model.fit(X_train, y_train)
    history = log_history(model, X_train, y_train, X_test, y_test, seed)

    y_score = model.predict_proba(X_test)[:, 1]
    y_pred = (y_score >= threshold).astype(int)
    groups = data[GROUP][test_idx]
    rate_privileged = selection_rate(y_pred, groups, PRIVILEGED)
    rate_unprivileged = selection_rate(y_pred, groups, UNPRIVILEGED)
    metrics = {
        "accuracy": accuracy_score(y_test, y_pred),
        "precision": precision_score(y_test, y_pred, zero_division=0),
        "recall": recall_score(y_test, y_pred, zero_division=0),
        "f1": f1_score(y_test, y_pred, zero_division=0),
        "roc_auc": roc_auc_score(y_test, y_score),
        "log_loss": log_loss(y_test, y_score, labels=[0, 1]),
        "brier": brier_score_loss(y_test, y_score),
        "selection_rate": float(y_pred.mean()),
        "selection_rate_weequay": rate_privileged,
        "selection_rate_togruta": rate_unprivileged,
        "disparate_impact": rate_unprivileged / rate_privileged if rate_privileged > 0 else float("nan"),
    }
    metrics = {name: float(value) for name, value in metrics.items()}
    provenant.log_metrics(metrics)

    features = {name: data[name][test_idx] for name in FEATURES}
    features[GROUP] = groups
    provenant.log_predictions(y_test, y_score=y_score, y_pred=y_pred, features=features, name="holdout")

    with open(MODEL, "wb") as handle:
        pickle.dump(model, handle, protocol=4)
    provenant.log_artifact(os.path.relpath(MODEL))

    print("hiring demo: %s, seed %d, %d training / %d holdout applicants"
          % (model_params.get("type", "logistic_regression"), seed, len(train_idx), len(test_idx)))
    print("  metric history: %s" % history)
    for name in ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier"):
        print("  %-10s %.4f" % (name, metrics[name]))
    print("  selection rate at threshold %.2f: Weequay %.3f, Togruta %.3f" % (threshold, rate_privileged, rate_unprivileged))
    verdict = "below the four-fifths rule (0.8)" if metrics["disparate_impact"] < 0.8 else "meets the four-fifths rule (0.8)"
    print("  disparate impact Togruta/Weequay: %.3f, %s" % (metrics["disparate_impact"], verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
