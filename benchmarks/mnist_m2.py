"""M2 on MNIST with few labels: test error and training time.

Trains M2Classifier on MNIST's training set with ``--n-labelled`` class-balanced labels (the
rest unlabelled), minus ``--n-validation`` rows held out (never trained on). ``alpha`` is
chosen among ``--alphas`` by the validation error of short fits (``--selection-epochs``); the
chosen value is then trained for ``--epochs`` and scored once on the 10,000 test images.
Nothing is chosen on the test set.

Run from the repository root::

    python benchmarks/mnist_m2.py --data-home ../shared/data --n-labelled 1000 --epochs 40

It writes ``benchmarks/results/mnist_m2-<n_labelled>-<cpu|gpu>.json`` and prints a summary.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import error_pct, mnist_parser, mnist_split, select_alpha, write_result  # noqa: E402
from _machine import machine  # noqa: E402

from sklearn_ssvae import M2Classifier  # noqa: E402


def main(argv=None):
    parser = mnist_parser(__doc__, n_labelled=1000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.1, 1.0, 10.0])
    parser.add_argument("--selection-epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    args = parser.parse_args(argv)
    X_fit, y_semi, X_val, y_val, X_test, y_test = mnist_split(args)

    clf = M2Classifier(
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        device=args.device,
        random_state=args.seed,
        verbose=1,
    )
    selection = select_alpha(clf, args, X_fit, y_semi, X_val, y_val)
    start = time.perf_counter()
    clf.fit(X_fit, y_semi)
    fit_seconds = time.perf_counter() - start
    epoch_seconds = [float(s) for s in clf.net_.history[:, "dur"]]
    result = {
        "benchmark": "mnist_m2",
        "n_labelled": args.n_labelled,
        "n_train_rows": len(X_fit),
        "n_validation": args.n_validation,
        "params": clf.get_params(),
        "alpha_selection": selection,
        "device": clf.net_.device,
        "validation_error_pct": error_pct(clf, X_val, y_val),
        "test_error_pct": error_pct(clf, X_test, y_test),
        "fit_seconds": fit_seconds,
        "median_epoch_seconds": float(np.median(epoch_seconds)),
        "rows_per_second": len(X_fit) / float(np.median(epoch_seconds)),
        "epoch_seconds": epoch_seconds,
        "machine": machine(),
    }
    summary = ("test_error_pct", "validation_error_pct", "fit_seconds", "median_epoch_seconds")
    print(json.dumps({k: result[k] for k in summary}, indent=2))
    write_result(result, args, "mnist_m2", clf.net_.device)


if __name__ == "__main__":
    main()
