"""How much of MNIST's class information M1's latent means keep: M1+M2's ceiling.

M1+M2 classifies from z1 alone, so no amount of labels lifts it above the best any classifier
can reach on z1's means; a supervised classifier with every label estimates that from below.
This fits the VAE that ``tables.py`` fits for ``m1m2`` (same draw, seed and settings), then
supervised classifiers on the fitting rows' latent means, with N labels and with every fitting
row labelled, scored on the draw's validation rows (never the test set):

- a logistic regression and an MLP (one hidden layer of 500, like M2's q(y|z1)) on the kept
  dimensions of z1 (posterior means whose standard deviation over the rows is above
  ``min_latent_std``, as ``StackedM1M2Classifier`` keeps them), and on all of them;
- the same MLP on the pixels, for reference.

From 1,000 labels on the MLP trains on nine tenths of them and stops early on the rest.

Run from the repository root::

    python benchmarks/m1m2_latent.py --data-home ../shared/data
    python benchmarks/m1m2_latent.py --data-home ../shared/data --m1 '{"max_epochs": 200}'
    python benchmarks/m1m2_latent.py --data-home ../shared/data --quick   # a harness check

It writes ``m1m2_latent-<machine>[-quick].json`` and ``.md`` into ``--out``. ``--quick`` fits
on ``tables.py --quick``'s rows and epochs.
"""

import argparse
import json
import time

import numpy as np
import tables
from _common import RESULTS, command_line, write_machine_result
from _machine import describe, machine
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from sklearn_ssvae._stacked import informative_latent_dims
from sklearn_ssvae.datasets import load_mnist, make_semi_supervised


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--draw", type=int, default=0)
    parser.add_argument("--n-labelled", type=int, nargs="+", default=None,
                        help="label counts below every fitting row (default 3000; 100 with "
                             "--quick)")
    parser.add_argument("--min-latent-std", type=float, default=0.1)
    parser.add_argument("--m1", default="{}",
                        help="settings of M1's VAE over m1m2's in tables.py (JSON)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default=str(RESULTS / "m1m2-trials" / "latent-ceiling"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    args.n_labelled = args.n_labelled or ([100] if args.quick else [3000])
    return args


def classifiers(n_labelled):
    """The classifiers, unfitted; the MLP stops early on a tenth of the labels from 1,000 on
    (with fewer, that tenth is too small to stop on, and it trains sklearn's 200 epochs)."""
    return {
        "logistic regression": LogisticRegression(max_iter=2000),
        "MLP (500)": MLPClassifier((500,), early_stopping=n_labelled >= 1000, random_state=0),
    }


def main(argv=None):
    args = parse_args(argv)
    p = tables.plan(tables.parse_args(["--dataset", "mnist", "--methods", "m1m2",
                                       "--m1", args.m1] + ["--quick"] * args.quick))
    X_train, y_train, _, _ = load_mnist(args.data_home)
    X_fit, y_fit, X_val, y_val = tables.split(X_train, y_train, p["n_validation"],
                                              p["n_fit_rows"], args.draw)
    start = time.perf_counter()
    m1, vae_seconds = tables.fit_vaes(p, X_fit, y_fit, args.draw, args.device)["m1m2"]
    mu_fit, mu_val = m1.transform(X_fit), m1.transform(X_val)
    kept = informative_latent_dims(mu_fit, args.min_latent_std)  # StackedM1M2Classifier's
    print(f"{len(kept)} of {mu_fit.shape[1]} latent dimensions kept", flush=True)
    inputs = {"z1 (kept dimensions)": (mu_fit[:, kept], mu_val[:, kept]),
              "z1 (all dimensions)": (mu_fit, mu_val),
              "pixels": (X_fit, X_val)}
    rows = []
    for n in [*args.n_labelled, len(X_fit)]:
        labelled = (np.ones(len(y_fit), bool) if n == len(X_fit)
                    else make_semi_supervised(y_fit, n, random_state=args.draw) != -1)
        for input_name, (A_fit, A_val) in inputs.items():
            for name, clf in classifiers(n).items():
                if input_name == "pixels" and name == "logistic regression":
                    continue
                t = time.perf_counter()
                clf.fit(A_fit[labelled], y_fit[labelled])
                rows.append({"input": input_name, "classifier": name, "n_labelled": int(n),
                             "validation_accuracy": float(clf.score(A_val, y_val)),
                             "fit_seconds": time.perf_counter() - t})
                print(rows[-1], flush=True)
    info = machine()
    result = {"benchmark": "m1m2_latent", "quick": args.quick, "command": command_line(argv),
              "git_commit": info["git_commit"], "machine": info, "draw": args.draw,
              "vae": tables.vae_settings(p, "m1m2"), "vae_seconds": vae_seconds,
              "latent_dims_kept": kept.tolist(), "n_fit_rows": len(X_fit),
              "n_validation_rows": len(X_val), "rows": rows,
              "wall_seconds": time.perf_counter() - start}
    write_machine_result(result, "m1m2_latent", args, markdown(result))


def markdown(result):
    quick = " (quick run: harness check, not results)" if result["quick"] else ""
    lines = [
        f"Machine: {describe(result['machine'])}. `{result['command']}` at commit "
        f"{result['git_commit']}{quick}.",
        "",
        f"M1's VAE {json.dumps(result['vae'])} on {result['n_fit_rows']} fitting rows of draw "
        f"{result['draw']} ({result['vae_seconds']:.0f} s); {len(result['latent_dims_kept'])} "
        "latent dimensions kept. Supervised classifiers on the labelled fitting rows, "
        f"accuracy on the draw's {result['n_validation_rows']} validation rows:",
        "",
        "| input | classifier | labels | validation accuracy | fit s |",
        "|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(f"| {r['input']} | {r['classifier']} | {r['n_labelled']} | "
                     f"{r['validation_accuracy']:.4f} | {r['fit_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
