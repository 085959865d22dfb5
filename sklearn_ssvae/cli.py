"""The command line: M1, M2 and LabelSpreading on few labels, scored on held-out rows.

Run as ``python -m sklearn_ssvae`` or ``sklearn-ssvae``. By default it uses scikit-learn's
digits (8 x 8 images that ship with scikit-learn, so nothing is downloaded) with 50 labels;
``--dataset mnist`` reads MNIST from ``--data-home``. Pixels are scaled to [0, 1]; a
class-balanced set of training rows keep their label, the rest are marked -1; every model sees
the same rows and is scored on the same test rows. ``--samples-png`` writes M2's generated
digits, one row per class.
"""

import argparse
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.semi_supervised import LabelSpreading

from . import M1Classifier, M2Classifier
from .datasets import load_mnist, make_semi_supervised

MODELS = ("M1", "M2", "LabelSpreading")


def build_parser():
    """The argument parser of the command line."""
    parser = argparse.ArgumentParser(prog="python -m sklearn_ssvae",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("digits", "mnist"), default="digits")
    parser.add_argument("--data-home", default=None,
                        help="folder holding mnist.npz (default: $SKLEARN_SSVAE_DATA, then "
                             "~/.cache/sklearn_ssvae)")
    parser.add_argument("--n-labelled", type=int, default=None,
                        help="labels kept (default 50 for digits, 100 for MNIST)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs of M1 and M2 (default 100 for digits, 30 for "
                             "MNIST)")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--device", default="auto", help="'auto', 'cpu', 'cuda', ...")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0, help="0, 1 (epoch table) or 2 (bar)")
    parser.add_argument("--samples-png", default=None, metavar="PATH",
                        help="write M2's generated samples, one row per class, to this PNG "
                             "(needs matplotlib)")
    return parser


def load(args):
    """Training rows with most labels hidden, and test rows; settings for this dataset."""
    if args.dataset == "digits":
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            (X / 16.0).astype("float32"), y, test_size=0.3, stratify=y,
            random_state=args.seed)
        defaults = {"n_labelled": 50, "epochs": 100}
        networks = {"latent_dim": 16, "hidden_sizes": (256,), "batch_size": 64}
    else:
        X_train, y_train, X_test, y_test = load_mnist(args.data_home)
        defaults = {"n_labelled": 100, "epochs": 30}
        networks = {}
    n_labelled = args.n_labelled or defaults["n_labelled"]
    epochs = args.epochs or defaults["epochs"]
    y_semi = make_semi_supervised(y_train, n_labelled, random_state=args.seed)
    return X_train, y_semi, X_test, y_test, n_labelled, epochs, networks


def main(argv=None):
    """Run the comparison; returns the test accuracy of each model."""
    args = build_parser().parse_args(argv)
    X_train, y_semi, X_test, y_test, n_labelled, epochs, networks = load(args)
    print(f"{args.dataset}: {len(X_train)} training rows, {n_labelled} of them labelled; "
          f"{len(X_test)} test rows")
    common = {"max_epochs": epochs, "device": args.device, "random_state": args.seed,
              "verbose": args.verbose, **networks}
    candidates = {
        "M1": M1Classifier(**common),
        "M2": M2Classifier(**common),
        "LabelSpreading": LabelSpreading(kernel="knn", n_neighbors=10),
    }
    accuracy = {}
    for name in args.models:
        model = candidates[name]
        start = time.perf_counter()
        model.fit(X_train, y_semi)
        seconds = time.perf_counter() - start
        accuracy[name] = model.score(X_test, y_test)
        print(f"{name:>15}: test accuracy {accuracy[name]:.3f}  ({seconds:.1f} s)", flush=True)
    if args.samples_png:
        from .plotting import GeneratedSamplesDisplay

        m2 = candidates["M2"]
        if "M2" not in args.models:
            m2.fit(X_train, y_semi)
        display = GeneratedSamplesDisplay.from_estimator(m2, n_per_class=10,
                                                         random_state=args.seed)
        display.figure_.savefig(args.samples_png, dpi=120, bbox_inches="tight")
        print(f"generated samples written to {args.samples_png}")
    return accuracy
