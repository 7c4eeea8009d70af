"""`python -m provenant serve MODEL`: a model behind Provenant's predictor protocol.

Provenant explains any model in any language through a long-lived *predictor* process that
speaks JSON lines over stdin/stdout (protocol ``provenant.predictor/1``):

1. On start the predictor writes one line announcing itself::

       {"protocol": "provenant.predictor/1", "features": ["age", ...] | null,
        "output": "probability" | "value" | "probabilities", "encodings": ["json", "f64-base64"],
        "classes": [0, 1, 2]}                       (a classifier's classes_, optional)

   With output "probabilities" (required: "classes"), each row's answer is one probability per
   class, in the order of "classes": an answer holds rows x classes values, row-major.

2. Provenant sends batches of rows, one JSON object a line, in the feature order announced
   (or, when ``features`` is null, the order Provenant states in its error messages)::

       {"id": 1, "rows": [[31, 4.5, 1, ...], ...]}                       (encoding "json")
       {"id": 2, "encoding": "f64-base64", "rows": 1000, "columns": 7,
        "data": "<base64 of rows*columns little-endian float64, row-major>"}

3. The predictor answers each batch, in order, with one line::

       {"id": 1, "predictions": [0.12, 0.87, ...]}
       {"id": 2, "encoding": "f64-base64", "data": "<base64 of float64 predictions>"}
       {"id": 3, "error": "what went wrong"}        (the predictor keeps serving)

   Optionally ``"seconds"``: the time the model itself took.

4. End of input: the predictor exits. Nothing but protocol lines may go to stdout (this server
   sends anything the model prints to stderr).

For a binary classifier the prediction is the probability of the positive class
(``predict_proba``); for a classifier with more than two classes (and no --positive-label) the
probability of every class; otherwise the value ``predict`` returns.

The model file may be a pickle, a joblib file (plain or zlib/gzip/bz2/xz/lzma/lz4-compressed),
a cloudpickle file, or a skops file (when skops is installed); the format is detected from the
file's first bytes and named in errors.

Options:
    --features a,b,c       the model's input columns, in order (announced to Provenant)
    --positive-label L     the positive class (default: the last of ``classes_``, i.e. 1 of 0/1)
    --output probability|probabilities|value   force predict_proba (one class or all) or predict
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from typing import Any, List, Optional

PROTOCOL = "provenant.predictor/1"


class Predictor:
    def __init__(self, model: Any, features: Optional[List[str]], positive_label: Optional[str], output: Optional[str]) -> None:
        self.model = model
        self.features = features
        names = getattr(model, "feature_names_in_", None)
        self.model_features = [str(n) for n in names] if names is not None else None
        if self.features is None and self.model_features is not None:
            self.features = self.model_features
        has_proba = callable(getattr(model, "predict_proba", None))
        classes = getattr(model, "classes_", None)
        self.classes = [_plain(c) for c in classes] if classes is not None else None
        if output is None:
            if not has_proba:
                output = "value"
            elif self.classes is not None and len(self.classes) > 2 and positive_label is None:
                output = "probabilities"
            else:
                output = "probability"
        if output in ("probability", "probabilities") and not has_proba:
            raise SystemExit("provenant serve: the model has no predict_proba; use --output value")
        if output == "probabilities" and self.classes is None:
            raise SystemExit("provenant serve: --output probabilities needs a classifier with classes_")
        if output == "value" and not callable(getattr(model, "predict", None)):
            raise SystemExit("provenant serve: the model has neither predict_proba nor predict")
        self.output = output
        self.column = None  # type: Optional[int]
        if output == "probability":
            classes = [c for c in getattr(model, "classes_", [0, 1])]
            if positive_label is None:
                self.column = len(classes) - 1
            else:
                matches = [i for i, c in enumerate(classes) if str(c) == positive_label or _same_number(c, positive_label)]
                if not matches:
                    raise SystemExit("provenant serve: positive label %r is not one of the model's classes %r" % (positive_label, classes))
                self.column = matches[0]

    def hello(self) -> dict:
        message = {"protocol": PROTOCOL, "features": self.features, "output": self.output, "encodings": ["json", "f64-base64"]}
        if self.classes is not None:
            message["classes"] = self.classes
        return message

    def _frame(self, rows: Any) -> Any:
        """The input the model expects: a DataFrame when it was fitted on one, else an array."""
        import numpy as np

        if self.model_features is not None:
            import pandas as pd  # the model was fitted on a DataFrame, so pandas is installed

            frame = pd.DataFrame(rows, columns=self.features)
            return frame[self.model_features]
        if isinstance(rows, np.ndarray):
            return rows
        try:
            return np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError):
            return np.asarray(rows, dtype=object)

    def predict(self, rows: Any) -> Any:
        import numpy as np

        x = self._frame(rows)
        if self.output == "probabilities":
            # Row-major: every row's class probabilities, in the order of classes_.
            return np.ascontiguousarray(self.model.predict_proba(x), dtype=np.float64)
        if self.output == "probability":
            out = np.asarray(self.model.predict_proba(x))[:, self.column]
        else:
            out = np.asarray(self.model.predict(x)).reshape(-1)
        return np.asarray(out, dtype=np.float64)


def _plain(value: Any) -> Any:
    """A class label as JSON can carry it (numpy scalars become Python numbers)."""
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _same_number(a: Any, b: str) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def serve(predictor: Predictor, stdin: Any, out: Any) -> int:
    import numpy as np

    def send(message: dict) -> None:
        out.write((json.dumps(message, allow_nan=True) + "\n").encode("utf-8"))
        out.flush()

    send(predictor.hello())
    for line in stdin:
        if not line.strip():
            continue
        ident = None
        try:
            request = json.loads(line)
            ident = request.get("id")
            encoding = request.get("encoding", "json")
            if encoding == "f64-base64":
                n, m = int(request["rows"]), int(request["columns"])
                rows = np.frombuffer(base64.b64decode(request["data"]), dtype="<f8").reshape(n, m)
            elif encoding == "json":
                rows = request["rows"]
            else:
                raise ValueError("unknown encoding %r" % (encoding,))
            started = time.perf_counter()
            predictions = predictor.predict(rows)
            seconds = time.perf_counter() - started
            if len(predictions) != len(rows):
                raise ValueError("the model returned %d predictions for %d rows" % (len(predictions), len(rows)))
            if encoding == "f64-base64":
                data = base64.b64encode(np.ascontiguousarray(predictions, dtype="<f8").tobytes()).decode("ascii")
                send({"id": ident, "encoding": "f64-base64", "data": data, "seconds": seconds})
            else:
                send({"id": ident, "predictions": np.asarray(predictions, dtype=np.float64).tolist(), "seconds": seconds})
        except Exception as err:  # reported to Provenant; the server keeps going
            send({"id": ident, "error": "%s: %s" % (type(err).__name__, err)})
    return 0


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m provenant serve", description="Serve a saved model over Provenant's predictor protocol (JSON lines on stdin/stdout).")
    parser.add_argument("model", help="saved model (pickle, joblib, cloudpickle or skops) with predict_proba or predict (scikit-learn style)")
    parser.add_argument("--features", help="the model's input columns in order, comma-separated")
    parser.add_argument("--positive-label", help="the positive class (default: the last class)")
    parser.add_argument("--output", choices=["probability", "probabilities", "value"], help="predict_proba: one class (default for two classes) or every class (default for more), or predict")
    args = parser.parse_args(argv)

    # The protocol owns stdout; whatever the model prints goes to stderr.
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr
    from .models import ModelLoadError, load_model

    try:
        model, _ = load_model(args.model)
    except OSError as err:
        sys.stderr.write("provenant serve: cannot read %s: %s\n" % (args.model, err))
        return 2
    except ModelLoadError as err:
        sys.stderr.write("provenant serve: %s\n" % (err,))
        return 2
    features = [f.strip() for f in args.features.split(",") if f.strip()] if args.features else None
    predictor = Predictor(model, features, args.positive_label, args.output)
    return serve(predictor, sys.stdin.buffer, protocol_out)
