"""Demo: M2 against LabelSpreading on scikit-learn's digits with few labels.

Run as ``python -m sklearn_ssvae``. The digits ship with scikit-learn, so nothing is
downloaded. Pixels are scaled to [0, 1]; a class-balanced handful of the training rows keep
their label, the rest are marked -1; both models see the same rows and are scored on a
held-out test split.
"""

import argparse
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.semi_supervised import LabelSpreading

from sklearn_ssvae import M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sklearn_ssvae", description=__doc__)
    parser.add_argument("--n-labelled", type=int, default=50, help="labels kept (default 50)")
    parser.add_argument("--epochs", type=int, default=100, help="M2 training epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0, help="M2's verbose (0, 1 or 2)")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.3, stratify=y, random_state=args.seed
    )
    y_semi = make_semi_supervised(y_train, args.n_labelled, random_state=args.seed)
    print(
        f"digits: {len(X_train)} training rows, {args.n_labelled} of them labelled; "
        f"{len(X_test)} test rows"
    )
    models = {
        "M2Classifier": M2Classifier(
            latent_dim=16, hidden_sizes=(256,), batch_size=64, max_epochs=args.epochs,
            random_state=args.seed, verbose=args.verbose,
        ),
        "LabelSpreading(knn)": LabelSpreading(kernel="knn", n_neighbors=10),
    }
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_semi)
        seconds = time.perf_counter() - start
        print(f"{name:>20}: test accuracy {model.score(X_test, y_test):.3f}  ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
