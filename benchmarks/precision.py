"""Accuracy of M2 trained in bfloat16 against float32: does ``precision='bfloat16'`` lose any?

``precision='bfloat16'`` runs M2's matrix products in bfloat16 (autocast; the loss terms are
summed in float32). It is off by default, and the speed benchmark counts it only once this
benchmark shows that it costs no accuracy. For each number of labels N and label draw, it
fits ``tables.py``'s MNIST M2 (the same split, settings, seed and epochs, at one alpha) once
in each precision and scores both on the validation rows after every epoch and on the test
set at the end. The float32 fit is the one ``tables.py`` makes for that alpha, so its test
accuracy repeats that table's row where the table chose the same alpha.

Run from the repository root (about 20 minutes per N and draw on 2 CPU cores)::

    python benchmarks/precision.py --data-home ../shared/data

Results go to ``benchmarks/results/precision-<machine>.json`` and ``.md``, rewritten after
every fit, so a stopped run keeps what it finished.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, command_line, write_machine_result  # noqa: E402
from _machine import describe, machine  # noqa: E402
from tables import SETTINGS, accuracy, make_model, plan, split  # noqa: E402
from tables import parse_args as tables_parse_args  # noqa: E402

from sklearn_ssvae._net import ValidationAccuracy  # noqa: E402
from sklearn_ssvae.datasets import make_semi_supervised  # noqa: E402

PRECISIONS = ("float32", "bfloat16")


class EpochAccuracy(ValidationAccuracy):
    """Validation accuracy after every epoch, the final weights kept (as ``tables.py`` does)."""

    def on_train_end(self, net, **kwargs):
        pass


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--runs", nargs="+", default=["1000:10:0", "100:100:0", "1000:10:1",
                                                      "100:100:1", "1000:10:2"],
                        help="N:alpha:draw, in the order run; the alphas are those tables.py "
                             "chose on validation at N=1000 and N=100")
    parser.add_argument("--epochs", type=int, default=None, help="default: tables.py's")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true",
                        help="tables.py's quick sizes (3,000 fitting rows, 2 epochs)")
    parser.add_argument("--out", default=str(RESULTS))
    return parser.parse_args(argv)


def summarise(fits):
    """Per N: the paired test-accuracy differences (bfloat16 - float32) and the speed-up."""
    pairs = {}
    for f in fits:
        pairs.setdefault((f["n_labelled"], f["alpha"], f["draw"]), {})[f["precision"]] = f
    by_n = {}
    for (n, alpha, draw), pair in sorted(pairs.items()):
        if len(pair) == 2:
            b, s = pair["bfloat16"], pair["float32"]
            by_n.setdefault(n, []).append({
                "draw": draw, "alpha": alpha,
                "test_accuracy_difference": b["test_accuracy"] - s["test_accuracy"],
                "validation_accuracy_difference":
                    b["validation_accuracy"][-1] - s["validation_accuracy"][-1],
                "train_seconds_ratio": b["train_seconds"] / s["train_seconds"],
            })
    return {n: {"pairs": rows,
                "mean_test_accuracy_difference":
                    statistics.mean(r["test_accuracy_difference"] for r in rows)}
            for n, rows in by_n.items()}


def markdown(result):
    m = result["machine"]
    lines = [
        "# M2 on MNIST: bfloat16 against float32 training", "",
        f"Machine: {describe(m)}. "
        f"`{result['command']}` at commit {m['git_commit']}; {result['epochs']} epochs, "
        f"{result['n_fit_rows']} fitting rows, {result['n_validation']} validation rows.", "",
        "| N | alpha | draw | precision | test accuracy | validation accuracy (final / best "
        "epoch) | train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in result["fits"]:
        val = f["validation_accuracy"]
        best = max(range(len(val)), key=val.__getitem__)
        lines.append(
            f"| {f['n_labelled']} | {f['alpha']:g} | {f['draw']} | {f['precision']} "
            f"| {f['test_accuracy']:.4f} | {val[-1]:.4f} / {val[best]:.4f} ({best + 1}) "
            f"| {f['train_seconds']:.0f} |")
    lines += ["", "Paired differences, bfloat16 minus float32 (same N, alpha, draw and seed):",
              ""]
    for n, s in result["summary"].items():
        diffs = ", ".join(f"{100 * r['test_accuracy_difference']:+.2f}" for r in s["pairs"])
        ratios = ", ".join(f"{r['train_seconds_ratio']:.2f}" for r in s["pairs"])
        lines.append(
            f"- N={n}: test accuracy {diffs} points (mean "
            f"{100 * s['mean_test_accuracy_difference']:+.2f}); training time ratio {ratios}.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    # tables.py's own parser, so that every setting it adds reaches this plan with its default.
    p = plan(tables_parse_args(
        ["--dataset", "mnist", "--methods", "m2", "--draws", "1"]
        + (["--epochs", str(args.epochs)] if args.epochs is not None else [])
        + (["--quick"] if args.quick else [])))
    X_train, y_train, X_test, y_test = SETTINGS["mnist"]["load"](args.data_home)
    if args.quick:
        X_test, y_test = X_test[:2000], y_test[:2000]
    info, fits, start = machine(), [], time.perf_counter()
    for spec in args.runs:
        n, alpha, draw = spec.split(":")
        n, alpha, draw = int(n), float(alpha), int(draw)
        X_fit, y_fit, X_val, y_val = split(X_train, y_train, p["n_validation"],
                                           p["n_fit_rows"], draw)
        y_semi = make_semi_supervised(y_fit, n, random_state=draw)
        for precision in PRECISIONS:
            model = make_model("m2", {"alpha": alpha, "precision": precision}, p, draw, None,
                               None, args.device)
            model.set_params(callbacks=[EpochAccuracy(torch.as_tensor(X_val), y_val)])
            fit_start = time.perf_counter()
            model.fit(X_fit, y_semi)
            history = model.net_.history
            fits.append({
                "n_labelled": n, "alpha": alpha, "draw": draw, "precision": precision,
                "test_accuracy": accuracy(model, X_test, y_test),
                "validation_accuracy": [float(a) for a in history[:, "valid_acc"]],
                "train_loss": [float(v) for v in history[:, "train_loss"]],
                "train_seconds": float(sum(history[:, "dur"])),
                "wall_seconds": time.perf_counter() - fit_start,
            })
            print(f"N={n} alpha={alpha:g} draw {draw} {precision}: test accuracy "
                  f"{fits[-1]['test_accuracy']:.4f}, {fits[-1]['train_seconds']:.0f} s",
                  flush=True)
            result = {
                "benchmark": "precision", "command": command_line(argv),
                "machine": info, "epochs": p["epochs"]["m2"], "m2_settings": p["m2"],
                "n_fit_rows": len(X_fit), "n_validation": len(X_val),
                "n_test_rows": len(X_test), "fits": fits, "summary": summarise(fits),
                "wall_seconds": time.perf_counter() - start,
            }
            write_machine_result(result, "precision", args, markdown(result))
    return result


if __name__ == "__main__":
    main()
