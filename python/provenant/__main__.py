"""`python -m provenant`: prints how to use the helper; `python -m provenant serve MODEL` serves a model."""

import sys

from . import __version__

USAGE = """provenant %s: helper for training scripts run by Provenant

Use it from the training script, then start the script with `provenant run`:

    import provenant

    seed = provenant.seed_everything()            # PROVENANT_SEED, seeds random/numpy/torch/tensorflow
    provenant.log_params({"model": {"C": 1.0}})   # params.json (flattened: model.C)
    provenant.log_metric("loss", 0.42, step=10)   # metrics.jsonl (history) and metrics.json (latest)
    provenant.log_metrics({"auc": 0.91, "f1": 0.8})
    provenant.log_predictions(y_true, y_score=proba, y_pred=pred, features={"age": ages})
    provenant.log_artifact("model.pkl")           # artifacts.json

Files go to the run folder named by PROVENANT_RUN_DIR; without it nothing is written.

    python -m provenant serve model.pkl [--features a,b,c] [--positive-label 1]

serves a pickled model over the predictor protocol (JSON lines on stdin/stdout), so Provenant
can explain it; see `python -m provenant serve --help`.
"""


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "serve":
        from .serve import main as serve_main

        return serve_main(argv[1:])
    sys.stdout.write(USAGE % __version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
