"""M1 and the stacked M1+M2 on MNIST with few labels: test error and training time.

M1 (a VAE with Kingma's 2x500 networks and a 50-dimensional latent space, and a
LogisticRegression on the labelled rows' latent means) is trained once on the training rows
minus ``--n-validation`` held out. M2 is then trained on M1's latent space for each
``--alphas`` value (short fits of ``--selection-epochs``), keeping M1 fixed through
``sklearn.frozen.FrozenEstimator``; the alpha with the lowest validation error is trained for
``--epochs`` and scored once on the 10,000 test images. Nothing is chosen on the test set.

Run from the repository root::

    python benchmarks/mnist_stacked.py --data-home ../shared/data --n-labelled 100

It writes ``benchmarks/results/mnist_stacked-<n_labelled>-<cpu|gpu>.json``.
"""

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.frozen import FrozenEstimator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import error_pct, mnist_parser, mnist_split, select_alpha, write_result  # noqa: E402
from _machine import machine  # noqa: E402

from sklearn_ssvae import M1Classifier, StackedM1M2Classifier  # noqa: E402


def main(argv=None):
    parser = mnist_parser(__doc__, n_labelled=100)
    parser.add_argument("--m1-epochs", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--alphas", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--selection-epochs", type=int, default=10)
    args = parser.parse_args(argv)
    X_fit, y_semi, X_val, y_val, X_test, y_test = mnist_split(args)

    m1 = M1Classifier(max_epochs=args.m1_epochs, device=args.device, random_state=args.seed,
                      verbose=1)
    start = time.perf_counter()
    m1.fit(X_fit, y_semi)
    m1_seconds = time.perf_counter() - start

    stacked = StackedM1M2Classifier(m1=FrozenEstimator(m1), device=args.device,
                                    random_state=args.seed, verbose=1)
    selection = select_alpha(stacked, args, X_fit, y_semi, X_val, y_val)
    start = time.perf_counter()
    stacked.fit(X_fit, y_semi)
    m2_seconds = time.perf_counter() - start

    def epoch_seconds(clf):
        return float(np.median(clf.net_.history[:, "dur"]))

    result = {
        "benchmark": "mnist_stacked",
        "n_labelled": args.n_labelled,
        "n_train_rows": len(X_fit),
        "n_validation": args.n_validation,
        "m1": {
            "params": m1.get_params(),
            "validation_error_pct": error_pct(m1, X_val, y_val),
            "test_error_pct": error_pct(m1, X_test, y_test),
            "fit_seconds": m1_seconds,
            "median_epoch_seconds": epoch_seconds(m1),
        },
        "m1_m2": {
            "params": {k: v for k, v in stacked.get_params(deep=False).items() if k != "m1"},
            "latent_dims_kept": len(stacked.latent_dims_),
            "alpha_selection": selection,
            "validation_error_pct": error_pct(stacked, X_val, y_val),
            "test_error_pct": error_pct(stacked, X_test, y_test),
            "m2_fit_seconds": m2_seconds,
            "total_fit_seconds": m1_seconds + m2_seconds,
            "median_m2_epoch_seconds": epoch_seconds(stacked),
        },
        "machine": machine(),
    }
    print(f"M1 test error {result['m1']['test_error_pct']:.2f}%, "
          f"M1+M2 test error {result['m1_m2']['test_error_pct']:.2f}%")
    write_result(result, args, "mnist_stacked", stacked.net_.device)


if __name__ == "__main__":
    main()
