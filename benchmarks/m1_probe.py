"""How much of the class M1's latent space keeps: classifiers on z1 against the same on pixels.

M1+M2 levels off near 96.5% test accuracy on MNIST however many labels it gets (tables.py).
This asks whether M1's latent space is the limit. Each M1 setting (``--m1``, a JSON list of
M1Classifier parameters) is fitted once, without labels, on the training rows minus 5,000
held out. Then, for each number of labels in ``--n-labelled`` (class-balanced, seeded), a
supervised MLP (one hidden layer of 500, as M2's q(y|x)) and a logistic regression are fitted
on the labelled rows' latent means of the kept dimensions (posterior-mean std > 0.1, as
StackedM1M2Classifier keeps), and the same MLP on the pixels; all are scored on the held-out
rows. The test set is not used: this is a diagnostic, not a table row.

Run from the repository root::

    python benchmarks/m1_probe.py --data-home ../shared/data

It writes ``benchmarks/results/m1m2-trials/m1_probe-<machine>.json`` and ``.md``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, write_machine_result  # noqa: E402
from _machine import machine  # noqa: E402

from sklearn_ssvae import M1Classifier  # noqa: E402
from sklearn_ssvae.datasets import load_mnist, make_semi_supervised  # noqa: E402

HARNESS_M1 = {"latent_dim": 50, "hidden_sizes": [500, 500], "max_epochs": 50}


def probe(features_fit, y_fit, features_val, y_val, n_labelled, seed):
    """Validation accuracy of an MLP and a logistic regression fitted on ``n_labelled`` rows."""
    if n_labelled >= len(y_fit):
        labelled = np.arange(len(y_fit))
    else:
        labelled = np.flatnonzero(make_semi_supervised(y_fit, n_labelled, random_state=seed)
                                  != -1)
    scaler = StandardScaler().fit(features_fit)
    F_l, F_val = scaler.transform(features_fit[labelled]), scaler.transform(features_val)
    scores = {}
    models = {
        "mlp": MLPClassifier((500,), early_stopping=len(labelled) >= 1000, max_iter=200,
                             random_state=seed),
        "logistic": LogisticRegression(max_iter=2000),
    }
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(F_l, y_fit[labelled])
        scores[name] = {"validation_accuracy": float(model.score(F_val, y_val)),
                        "seconds": time.perf_counter() - start}
    return scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--m1", type=json.loads, default=[HARNESS_M1],
                        help="JSON list of M1Classifier settings, one M1 fitted per setting")
    parser.add_argument("--n-labelled", type=int, nargs="+", default=[100, 1000, 5000, 55000])
    parser.add_argument("--n-validation", type=int, default=5000)
    parser.add_argument("--pixels", action=argparse.BooleanOptionalAction, default=True,
                        help="also probe the pixels (the reference)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "m1m2-trials"))
    args = parser.parse_args(argv)
    args.quick = False
    info = machine()
    start = time.perf_counter()

    X_train, y_train, _, _ = load_mnist(args.data_home)
    order = np.random.RandomState(args.seed).permutation(len(X_train))
    val, fit = order[: args.n_validation], order[args.n_validation :]
    X_fit, y_fit, X_val, y_val = X_train[fit], y_train[fit], X_train[val], y_train[val]

    rows = []
    if args.pixels:
        for n in args.n_labelled:
            scores = probe(X_fit, y_fit, X_val, y_val, n, args.seed)
            rows.append({"features": "pixels", "n_labelled": n, **scores})
            print(rows[-1], flush=True)
    for setting in args.m1:
        m1 = M1Classifier(**{"batch_size": 256, "device": args.device,
                             "random_state": 1000 + args.seed, **setting})
        fit_start = time.perf_counter()
        # The VAE sees no labels; M1Classifier's own classifier (on 10 labels) is not used.
        m1.fit(X_fit, make_semi_supervised(y_fit, 10, random_state=args.seed))
        m1_seconds = time.perf_counter() - fit_start
        z_fit, z_val = m1.transform(X_fit), m1.transform(X_val)
        kept = np.flatnonzero(z_fit.std(axis=0) > 0.1)
        elbo = float(np.mean(m1.score_samples(X_val)))
        for n in args.n_labelled:
            scores = probe(z_fit[:, kept], y_fit, z_val[:, kept], y_val, n, args.seed)
            rows.append({"features": "m1", "m1": setting, "n_latent_kept": len(kept),
                         "validation_elbo": elbo, "m1_seconds": m1_seconds,
                         "n_labelled": n, **scores})
            print(rows[-1], flush=True)

    result = {"benchmark": "m1_probe", "command": "python " + " ".join(sys.argv),
              "n_fit_rows": len(X_fit), "n_validation": args.n_validation, "seed": args.seed,
              "rows": rows, "wall_seconds": time.perf_counter() - start, "machine": info}
    write_machine_result(result, "m1_probe", args, markdown(result))


def markdown(result):
    """Validation accuracy per feature set and number of labels."""
    m = result["machine"]
    ns = sorted({r["n_labelled"] for r in result["rows"]})
    lines = [
        "# MNIST: how much of the class M1's latent space keeps", "",
        f"Machine: {m['gpu'] or m['cpu']}, {m['cpu_cores']} cores; torch {m['torch']}. "
        f"`{result['command']}` at commit {m['git_commit']}, "
        f"{result['wall_seconds']:.0f} s in all.", "",
        f"Validation accuracy on {result['n_validation']} held-out training rows (no test "
        "rows) of a supervised MLP (500 hidden) and a logistic regression fitted on N "
        f"labelled rows of {result['n_fit_rows']}, on the pixels or on the latent means of "
        "M1's kept dimensions (M1 fitted on every row without labels).", "",
        "| features | kept dims | validation ELBO | classifier | "
        + " | ".join(f"N={n}" for n in ns) + " |",
        "|---|---|---|---|" + "---|" * len(ns),
    ]
    groups = {}
    for r in result["rows"]:
        key = "pixels" if r["features"] == "pixels" else f"M1 {json.dumps(r['m1'])}"
        groups.setdefault(key, []).append(r)
    for key, rows in groups.items():
        kept = rows[0].get("n_latent_kept", "")
        elbo = f"{rows[0]['validation_elbo']:.1f}" if "validation_elbo" in rows[0] else ""
        for classifier in ("mlp", "logistic"):
            by_n = {r["n_labelled"]: r[classifier]["validation_accuracy"] for r in rows}
            cells = [f"{by_n[n]:.4f}" if n in by_n else "" for n in ns]
            lines.append(f"| {key} | {kept} | {elbo} | {classifier} | " + " | ".join(cells)
                         + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
