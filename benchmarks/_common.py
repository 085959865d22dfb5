"""What the MNIST benchmarks share: the split, the command line, the results file."""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from _machine import machine_tag

from sklearn_ssvae.datasets import load_mnist, make_semi_supervised

RESULTS = Path(__file__).parent / "results"

# M2's training settings that learned fastest in speed.py's trials (Adam at 2e-3, 32 labelled
# rows in every batch; results/speed-cpu2-settings-trials.json). speed.py times them to 95%
# accuracy and tables.py fits them.
FAST_M2 = {"learning_rate": 2e-3, "n_labelled_per_batch": 32}


def command_line(argv=None):
    """The command that ran this script with ``argv`` (default: this process's arguments),
    quoted so that it can be pasted into a shell to rerun it."""
    return "python " + shlex.join([sys.argv[0], *(sys.argv[1:] if argv is None else argv)])


def mnist_parser(doc, n_labelled):
    """Argument parser with the options every MNIST benchmark takes."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--n-labelled", type=int, default=n_labelled)
    parser.add_argument("--n-validation", type=int, default=5000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS))
    return parser


def mnist_split(args):
    """MNIST with ``n_validation`` training rows held out and ``n_labelled`` labels kept.

    Returns
    -------
    X_fit, y_semi : the training rows, with -1 for all but the kept labels
    X_val, y_val : held-out training rows (never trained on), for model selection
    X_test, y_test : the 10,000 test images
    """
    X_train, y_train, X_test, y_test = load_mnist(args.data_home)
    order = np.random.RandomState(args.seed).permutation(len(X_train))
    val, fit = order[: args.n_validation], order[args.n_validation :]
    y_semi = make_semi_supervised(y_train[fit], args.n_labelled, random_state=args.seed)
    return X_train[fit], y_semi, X_train[val], y_train[val], X_test, y_test


def error_pct(clf, X, y):
    """Classification error in percent."""
    return 100 * (1 - clf.score(X, y))


def select_alpha(clf, args, X_fit, y_semi, X_val, y_val):
    """Choose ``alpha`` among ``args.alphas`` by validation error after short fits.

    Each value is fitted for ``args.selection_epochs``; with a single value nothing is fitted.
    ``clf`` is left with the chosen alpha and ``max_epochs=args.epochs``.

    Returns
    -------
    dict
        The validation error per alpha, the epochs and seconds spent, and the chosen alpha.
    """
    errors = {}
    start = time.perf_counter()
    if len(args.alphas) > 1:
        for alpha in args.alphas:
            clf.set_params(alpha=alpha, max_epochs=args.selection_epochs).fit(X_fit, y_semi)
            errors[alpha] = error_pct(clf, X_val, y_val)
            print(f"alpha={alpha}: validation error {errors[alpha]:.2f}% "
                  f"after {args.selection_epochs} epochs")
    chosen = min(errors, key=errors.get) if errors else args.alphas[0]
    clf.set_params(alpha=chosen, max_epochs=args.epochs)
    return {
        "validation_error_pct_by_alpha": errors,
        "epochs": args.selection_epochs,
        "seconds": time.perf_counter() - start,
        "chosen_alpha": chosen,
    }


def write_result(result, args, name, device):
    """Write ``result`` to ``<out>/<name>-<n_labelled>-<cpu|gpu>.json`` with the command."""
    result = {"command": command_line(), **result}
    kind = "gpu" if "cuda" in str(device) else "cpu"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}-{args.n_labelled}-{kind}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"written to {path}")
    return path



def machine_result_stem(name, args, machine):
    """``<out>/<name>-<machine>[-quick]``: where a machine's results of ``name`` go."""
    return Path(args.out) / f"{name}-{machine_tag(machine)}{'-quick' if args.quick else ''}"


def write_machine_result(result, name, args, markdown):
    """Write ``result`` and its ``markdown`` to ``<out>/<name>-<machine>[-quick].json|md``."""
    Path(args.out).mkdir(parents=True, exist_ok=True)
    stem = machine_result_stem(name, args, result["machine"])
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    stem.with_suffix(".md").write_text(markdown)
    print(markdown)
    return stem
