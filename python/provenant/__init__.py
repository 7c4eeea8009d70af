"""Provenant's helper for training scripts.

Records what a run of a training script produced into the run folder that
Provenant prepared (``PROVENANT_RUN_DIR``): the seed and the libraries it
seeded, parameters, metrics (latest values and their history), predictions
and artifacts. Standard library only; numpy, torch and tensorflow are used
only when they are installed.

Outside Provenant (``PROVENANT_RUN_DIR`` not set) every function still
validates its arguments and returns, but writes nothing; ``seed_everything``
still seeds. A single warning on stderr says so.

    import provenant
    seed = provenant.seed_everything()
    provenant.log_params({"model": {"C": 1.0}})
    provenant.log_metric("loss", 0.42, step=10)
    provenant.log_predictions(y_true, y_score=proba, features={"age": ages})
    provenant.log_artifact("model.pkl")
"""

from __future__ import annotations

import csv
import datetime as _dt
import importlib
import importlib.util
import io
import json
import math
import numbers
import os
import platform
import random
import re
import sys
import tempfile
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

__version__ = "0.1.0"

__all__ = [
    "seed_everything",
    "log_params",
    "log_metric",
    "log_metrics",
    "log_predictions",
    "log_artifact",
    "run_dir",
]

RUN_DIR_ENV = "PROVENANT_RUN_DIR"
SEED_ENV = "PROVENANT_SEED"

SEEDED_FILE = "seeded.json"
PARAMS_FILE = "params.json"
METRICS_FILE = "metrics.json"
METRICS_HISTORY_FILE = "metrics.jsonl"
PREDICTIONS_FILE = "predictions.json"
ARTIFACTS_FILE = "artifacts.json"

_MAX_SEED = 2**32 - 1
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

_lock = threading.RLock()
_warned = set()  # type: set


# --------------------------------------------------------------------------- internals


def _warn(key: str, message: str) -> None:
    """Prints a warning on stderr once per key."""
    if key in _warned:
        return
    _warned.add(key)
    sys.stderr.write("provenant: warning: %s\n" % message)
    sys.stderr.flush()


def run_dir() -> Optional[str]:
    """The run folder from PROVENANT_RUN_DIR (created if missing), or None outside Provenant."""
    value = os.environ.get(RUN_DIR_ENV, "").strip()
    if not value:
        _warn(
            "no-run-dir",
            "%s is not set (script started outside Provenant): nothing is recorded. "
            "Start it with `provenant run` to capture this run." % RUN_DIR_ENV,
        )
        return None
    os.makedirs(value, exist_ok=True)
    return value


def _write_atomic(path: str, text: str) -> None:
    """Writes text so readers see the old or the new content, never a mix."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with io.open(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_json(path: str, value: Any) -> None:
    _write_atomic(path, json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _read_json(path: str, default: Any) -> Any:
    try:
        with io.open(path, "r", encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default
    except ValueError as err:
        raise ValueError("provenant: %s is not valid JSON (%s); was it edited by hand?" % (path, err))


def _append_line(path: str, line: str) -> None:
    """Appends one complete line with a single write (O_APPEND), so a reader never sees half a line
    from a finished call. The history grows by appends because rewriting it per step would cost
    quadratic time in long training loops."""
    data = (line + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)


def _plain(value: Any) -> Any:
    """numpy/torch scalars and 0-d arrays to Python scalars; anything else unchanged."""
    if value is None or type(value) in (str, bool, int, float):
        return value
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", 0) == 0:
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def _json_scalar(value: Any) -> Any:
    """A value params.json can hold: str, int, float (finite), bool or None; anything else as str()."""
    value = _plain(value)
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def _flatten(params: Mapping[str, Any], prefix: str, out: Dict[str, Any]) -> None:
    for key, value in params.items():
        name = "%s.%s" % (prefix, key) if prefix else str(key)
        if isinstance(value, Mapping):
            if len(value) == 0:
                out[name] = "{}"
            else:
                _flatten(value, name, out)
        else:
            out[name] = _json_scalar(value)


def _metric_number(name: str, value: Any) -> Optional[float]:
    """The metric as an int or float; None (with a warning) when NaN or infinite."""
    value = _plain(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            _warn("nonfinite:" + name, "metric %r is %r: recorded as null in the history, dropped from metrics.json" % (name, number))
            return None
        return number
    raise TypeError("provenant: metric %r must be a number, got %s" % (name, type(value).__name__))


def _check_metric_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("provenant: a metric name must be a non-empty string, got %r" % (name,))
    return name


def _check_step(step: Any) -> Optional[int]:
    if step is None:
        return None
    step = _plain(step)
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise TypeError("provenant: step must be an integer or None, got %r" % (step,))
    return int(step)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- seeds


def _installed(module: str) -> bool:
    if module in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _parse_seed(value: Any, source: str) -> int:
    value = _plain(value)
    if isinstance(value, str):
        try:
            value = int(value.strip(), 10)
        except ValueError:
            raise ValueError("provenant: the seed from %s must be an integer, got %r" % (source, value))
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("provenant: the seed from %s must be an integer, got %r" % (source, value))
    seed = int(value)
    if seed < 0 or seed > _MAX_SEED:
        raise ValueError("provenant: the seed from %s must lie in 0..%d (numpy's range), got %d" % (source, _MAX_SEED, seed))
    return seed


def seed_everything(seed: Optional[int] = None, default: Optional[int] = None) -> int:
    """Seeds random, numpy, torch and tensorflow (those installed) and returns the seed.

    The seed is ``seed`` when given, else PROVENANT_SEED (set by Provenant), else ``default``
    (e.g. the seed of the script's own params file, for runs outside Provenant), else 0 with a
    warning. Inside a run the seed and the seeded libraries are written to ``seeded.json``.
    """
    if seed is not None:
        chosen = _parse_seed(seed, "the seed argument")
    elif os.environ.get(SEED_ENV, "").strip():
        chosen = _parse_seed(os.environ[SEED_ENV], SEED_ENV)
    elif default is not None:
        chosen = _parse_seed(default, "the default argument")
    else:
        _warn("no-seed", "no seed given and %s is not set: using 0" % SEED_ENV)
        chosen = 0

    libraries = {}  # type: Dict[str, str]

    random.seed(chosen)
    libraries["random"] = platform.python_version()

    if _installed("numpy"):
        import numpy as np  # noqa: WPS433 (optional dependency)

        np.random.seed(chosen)
        libraries["numpy"] = str(np.__version__)

    if _installed("torch"):
        # cuBLAS needs this before its first use to be deterministic; keep a value set by the caller.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch = importlib.import_module("torch")
        torch.manual_seed(chosen)
        cuda = getattr(torch, "cuda", None)
        if cuda is not None and hasattr(cuda, "manual_seed_all"):
            cuda.manual_seed_all(chosen)
        if hasattr(torch, "use_deterministic_algorithms"):
            try:
                torch.use_deterministic_algorithms(True, warn_only=True)
            except TypeError:  # torch < 1.11 has no warn_only
                torch.use_deterministic_algorithms(True)
        cudnn = getattr(getattr(torch, "backends", None), "cudnn", None)
        if cudnn is not None:
            cudnn.deterministic = True
            cudnn.benchmark = False
        libraries["torch"] = str(getattr(torch, "__version__", "unknown"))

    if _installed("tensorflow"):
        os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
        tf = importlib.import_module("tensorflow")
        tf.random.set_seed(chosen)
        experimental = getattr(getattr(tf, "config", None), "experimental", None)
        if experimental is not None and hasattr(experimental, "enable_op_determinism"):
            experimental.enable_op_determinism()
        libraries["tensorflow"] = str(getattr(tf, "__version__", "unknown"))

    directory = run_dir()
    if directory is not None:
        with _lock:
            _write_json(os.path.join(directory, SEEDED_FILE), {"seed": chosen, "libraries": libraries})
    return chosen


# --------------------------------------------------------------------------- params and metrics


def log_params(params: Mapping[str, Any]) -> Dict[str, Any]:
    """Merges parameters into ``params.json``; nested mappings are flattened with dots
    ({"model": {"C": 1}} -> {"model.C": 1}). Returns the flattened parameters given."""
    if not isinstance(params, Mapping):
        raise TypeError("provenant: log_params takes a dict, got %s" % type(params).__name__)
    flat = {}  # type: Dict[str, Any]
    _flatten(params, "", flat)
    directory = run_dir()
    if directory is not None:
        path = os.path.join(directory, PARAMS_FILE)
        with _lock:
            merged = _read_json(path, {})
            if not isinstance(merged, dict):
                merged = {}
            merged.update(flat)
            _write_json(path, merged)
    return flat


def _record_metrics(items: Sequence[Tuple[str, Any]], step: Optional[int]) -> Dict[str, Any]:
    step = _check_step(step)
    checked = [(_check_metric_name(name), _metric_number(name, value)) for name, value in items]
    directory = run_dir()
    if directory is None or not checked:
        return dict(checked)
    timestamp = _now()
    with _lock:
        history = os.path.join(directory, METRICS_HISTORY_FILE)
        for name, value in checked:
            _append_line(history, json.dumps({"name": name, "value": value, "step": step, "timestamp": timestamp}, ensure_ascii=False))
        latest_path = os.path.join(directory, METRICS_FILE)
        latest = _read_json(latest_path, {})
        if not isinstance(latest, dict):
            latest = {}
        for name, value in checked:
            if value is None:
                latest.pop(name, None)
            else:
                latest[name] = value
        _write_json(latest_path, latest)
    return dict(checked)


def log_metric(name: str, value: Any, step: Optional[int] = None) -> None:
    """Appends the value to the history (``metrics.jsonl``) and sets it as the latest value of
    ``name`` in ``metrics.json``. ``step`` (an integer) orders the history, e.g. epoch or iteration."""
    _record_metrics([(name, value)], step)


def log_metrics(metrics: Mapping[str, Any], step: Optional[int] = None) -> None:
    """``log_metric`` for each entry of a dict, all with the same step and timestamp."""
    if not isinstance(metrics, Mapping):
        raise TypeError("provenant: log_metrics takes a dict, got %s" % type(metrics).__name__)
    _record_metrics(list(metrics.items()), step)


# --------------------------------------------------------------------------- predictions


def _column(values: Any, label: str) -> List[Any]:
    """A 1-D sequence (list, tuple, numpy array, pandas Series, ...) as a list of Python scalars."""
    if values is None:
        raise ValueError("provenant: %s is missing" % label)
    if isinstance(values, (str, bytes)) or isinstance(values, Mapping):
        raise TypeError("provenant: %s must be a sequence of values, got %s" % (label, type(values).__name__))
    ndim = getattr(values, "ndim", None)
    if ndim is not None and ndim != 1:
        shape = getattr(values, "shape", None)
        hint = " (for predict_proba output pass the positive class's column, e.g. proba[:, 1], or every class's as y_proba=proba, classes=model.classes_)" if ndim == 2 else ""
        raise ValueError("provenant: %s must be one-dimensional, got shape %s%s" % (label, shape, hint))
    tolist = getattr(values, "tolist", None)
    if callable(tolist):
        values = tolist()
    try:
        out = [_plain(v) for v in values]
    except TypeError:
        raise TypeError("provenant: %s must be a sequence of values, got %s" % (label, type(values).__name__))
    for v in out:
        if isinstance(v, (list, tuple, dict)):
            raise ValueError("provenant: %s must hold one value per row, found %r" % (label, v))
    return out


def _feature_columns(features: Any, feature_names: Optional[Sequence[str]]) -> List[Tuple[str, List[Any]]]:
    """Feature columns, in order, from a dict of columns, a list of row dicts, a numpy structured or
    2-D array (names from feature_names), or a DataFrame-like object with .to_dict('list')."""
    if features is None:
        return []
    to_dict = getattr(features, "to_dict", None)
    if not isinstance(features, Mapping) and callable(to_dict):
        try:
            features = to_dict("list")
        except TypeError:
            features = to_dict()
    if isinstance(features, Mapping):
        columns = [(str(name), _column(values, "feature %r" % (name,))) for name, values in features.items()]
    elif getattr(getattr(features, "dtype", None), "names", None):
        names = list(features.dtype.names)
        columns = [(str(name), _column(features[name], "feature %r" % (name,))) for name in names]
    elif getattr(features, "ndim", None) == 2:
        width = features.shape[1]
        names = list(feature_names) if feature_names is not None else ["x%d" % i for i in range(width)]
        if len(names) != width:
            raise ValueError("provenant: feature_names has %d names but features has %d columns" % (len(names), width))
        columns = [(str(names[i]), _column(features[:, i], "feature %r" % (names[i],))) for i in range(width)]
    elif isinstance(features, (list, tuple)) and all(isinstance(row, Mapping) for row in features):
        names = []  # type: List[str]
        for row in features:
            for key in row:
                if key not in names:
                    names.append(key)
        columns = [(str(name), [_plain(row.get(name)) for row in features]) for name in names]
        for name, values in columns:
            _column(values, "feature %r" % (name,))
    else:
        raise TypeError(
            "provenant: features must be a dict of columns, a list of row dicts, a 2-D numpy array "
            "(with feature_names=) or a DataFrame; got %s" % type(features).__name__
        )
    if feature_names is not None and getattr(features, "ndim", None) != 2:
        if len(feature_names) != len(columns):
            raise ValueError("provenant: feature_names has %d names but features has %d columns" % (len(feature_names), len(columns)))
        columns = [(str(new), values) for new, (_, values) in zip(feature_names, columns)]
    return columns


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return str(value)


def log_predictions(
    y_true: Any,
    y_score: Any = None,
    y_pred: Any = None,
    features: Any = None,
    name: str = "holdout",
    feature_names: Optional[Sequence[str]] = None,
    y_proba: Any = None,
    classes: Optional[Sequence[Any]] = None,
) -> Dict[str, Any]:
    """Writes a prediction set as CSV (``predictions.csv`` for "holdout", else
    ``predictions.<name>.csv``) with columns y_true, y_score and/or y_pred, then the features,
    and describes it in ``predictions.json``. Returns that description.

    For a classifier with several classes, ``y_proba`` is ``model.predict_proba(X)`` (one column
    per class) and ``classes`` its ``model.classes_`` (default: the sorted labels of y_true and
    y_pred); they become columns ``proba_<class>``."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError("provenant: prediction set name %r must be letters, digits, '_', '.' or '-'" % (name,))
    if y_score is None and y_pred is None and y_proba is None:
        raise ValueError("provenant: log_predictions needs y_score or y_pred (or both), or y_proba")
    truth = _column(y_true, "y_true")
    columns = [("y_true", truth)]  # type: List[Tuple[str, List[Any]]]
    if y_score is not None:
        columns.append(("y_score", _column(y_score, "y_score")))
    if y_pred is not None:
        columns.append(("y_pred", _column(y_pred, "y_pred")))
    proba_meta = None
    if y_proba is not None:
        proba_meta = _proba_columns(y_proba, classes, truth, columns[-1][1] if y_pred is not None else [])
        columns.extend(proba_meta.pop("_columns"))
    feature_cols = _feature_columns(features, feature_names)
    reserved = set(name for name, _ in columns)
    seen = set()  # type: set
    for feature, _ in feature_cols:
        if feature in reserved:
            raise ValueError("provenant: feature column %r clashes with a prediction column; rename it" % (feature,))
        if feature in seen:
            raise ValueError("provenant: feature column %r appears twice" % (feature,))
        seen.add(feature)
    columns.extend(feature_cols)
    rows = len(truth)
    mismatched = ["%s has %d" % (col, len(values)) for col, values in columns if len(values) != rows]
    if mismatched:
        raise ValueError("provenant: every column must have as many rows as y_true (%d): %s" % (rows, ", ".join(mismatched)))

    file_name = "predictions.csv" if name == "holdout" else "predictions.%s.csv" % name
    meta = {
        "file": file_name,
        "rows": rows,
        "columns": [col for col, _ in columns],
        "y_true": "y_true",
        "y_score": "y_score" if y_score is not None else None,
        "y_pred": "y_pred" if y_pred is not None else None,
        "features": [col for col, _ in feature_cols],
    }
    if proba_meta is not None:
        meta["y_proba"] = proba_meta
    directory = run_dir()
    if directory is None:
        return meta
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(meta["columns"])
    data = [values for _, values in columns]
    for i in range(rows):
        writer.writerow([_cell(values[i]) for values in data])
    with _lock:
        _write_atomic(os.path.join(directory, file_name), buffer.getvalue())
        index_path = os.path.join(directory, PREDICTIONS_FILE)
        index = _read_json(index_path, {})
        if not isinstance(index, dict):
            index = {}
        index[name] = meta
        _write_json(index_path, index)
    return meta


def _proba_columns(y_proba: Any, classes: Optional[Sequence[Any]], truth: List[Any], predicted: List[Any]) -> Dict[str, Any]:
    """Columns ``proba_<class>`` of class probabilities, and their description."""
    rows = [list(r) for r in (y_proba.tolist() if hasattr(y_proba, "tolist") else y_proba)]
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("provenant: y_proba must be a table with one column per class (model.predict_proba(X))")
    if classes is None:
        labels = sorted(set(truth) | set(predicted), key=lambda v: (not isinstance(v, (int, float)), v if isinstance(v, (int, float)) else str(v)))
    else:
        labels = [c.item() if hasattr(c, "item") else c for c in (classes.tolist() if hasattr(classes, "tolist") else classes)]
    if len(labels) != len(rows[0]):
        raise ValueError("provenant: y_proba has %d columns but there are %d classes (%s); pass classes=model.classes_" % (len(rows[0]), len(labels), ", ".join(str(c) for c in labels)))
    names = ["proba_%s" % (_cell(c),) for c in labels]
    if len(set(names)) != len(names):
        raise ValueError("provenant: two classes give the same column name: %s" % ", ".join(names))
    return {"classes": [_cell(c) for c in labels], "columns": names, "_columns": [(name, [r[k] for r in rows]) for k, name in enumerate(names)]}


# --------------------------------------------------------------------------- artifacts


def log_artifact(path: Any) -> str:
    """Records a file the run produced in ``artifacts.json`` as an absolute path (so a script that
    changes directory still names the right file); Provenant hashes it when the run ends and
    stores it relative to the workspace. Returns the path as recorded."""
    given = os.fspath(path)
    if isinstance(given, bytes):
        given = os.fsdecode(given)
    if not given:
        raise ValueError("provenant: log_artifact needs a path")
    recorded = os.path.abspath(given)
    if not os.path.exists(recorded):
        _warn("missing:" + recorded, "artifact %r does not exist (yet); it is recorded anyway" % recorded)
    directory = run_dir()
    if directory is None:
        return recorded
    path_json = os.path.join(directory, ARTIFACTS_FILE)
    with _lock:
        listed = _read_json(path_json, [])
        if not isinstance(listed, list):
            listed = []
        if recorded not in listed:
            listed.append(recorded)
            _write_json(path_json, listed)
    return recorded
