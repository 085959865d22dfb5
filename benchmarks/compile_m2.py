"""Does ``torch.compile`` speed up M2's training step? Eager against two compiled variants.

The plain PyTorch loop of ``speed.py`` (the package's own ``M2Module`` and ``M2Objective``,
batch 256, 100 labels) trains on the first rows of MNIST three ways, each in a fresh process:

- ``eager``: as the package trains;
- ``compile-objective``: ``torch.compile`` (inductor) on the whole objective;
- ``compile-likelihood``: ``torch.compile`` on the Bernoulli log-likelihood alone, the
  element-wise work on M2's largest tensor (the K-class decoder output).

It reports the first epoch (compilation included) and the median of the others. Run from the
repository root (about two minutes on 2 CPU cores)::

    python benchmarks/compile_m2.py --data-home ../shared/data

Results go to ``benchmarks/results/compile_m2-<machine>.json`` and ``.md``.
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, command_line, write_machine_result  # noqa: E402
from _machine import describe, machine  # noqa: E402
from speed import N_LABELLED, build, mnist_rows, plain_epochs  # noqa: E402

from sklearn_ssvae import M2Classifier  # noqa: E402

VARIANTS = ("eager", "compile-objective", "compile-likelihood")


def run_worker(args):
    """Train one variant; print its epoch seconds as JSON."""
    X, y = mnist_rows(args.data_home, args.rows, N_LABELLED, args.seed)
    torch.manual_seed(args.seed)
    estimator = M2Classifier(batch_size=args.batch_size)
    module, objective = build(estimator, X.shape[1], N_LABELLED / len(X))
    if args.worker == "compile-objective":
        objective = torch.compile(objective)
    elif args.worker == "compile-likelihood":
        module.likelihood.log_prob = torch.compile(module.likelihood.log_prob)
    seconds = plain_epochs(module, objective, torch.as_tensor(X), torch.as_tensor(y),
                           args.batch_size, args.epochs, estimator.learning_rate, args.seed)
    print(json.dumps({"epoch_seconds": seconds}))


def markdown(result):
    m = result["machine"]
    lines = [
        f"Machine: {describe(m)}. "
        f"M2 (one hidden layer of 500, latent 50), plain loop, batch {result['batch_size']}, "
        f"{result['rows']} rows per epoch, {result['epochs']} epochs. `{result['command']}` at "
        f"commit {m['git_commit']}.", "",
        "| variant | first epoch s (compilation included) | steady epoch s (median) "
        "| against eager |",
        "|---|---|---|---|",
    ]
    eager = result["variants"]["eager"]["steady_seconds"]
    for name, v in result["variants"].items():
        lines.append(f"| {name} | {v['epoch_seconds'][0]:.2f} | {v['steady_seconds']:.2f} "
                     f"| {100 * (v['steady_seconds'] / eager - 1):+.0f}% |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--rows", type=int, default=12800)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="1,000 rows, 2 epochs")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.epochs = 1000, 2
    if args.worker:
        return run_worker(args)
    common = ["--rows", str(args.rows), "--batch-size", str(args.batch_size),
              "--epochs", str(args.epochs), "--seed", str(args.seed)]
    if args.data_home is not None:
        common += ["--data-home", str(args.data_home)]
    variants = {}
    for name in VARIANTS:
        out = subprocess.run([sys.executable, __file__, *common, "--worker", name],
                             capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"{name} failed:\n{out.stderr[-3000:]}")
        seconds = json.loads(out.stdout.strip().splitlines()[-1])["epoch_seconds"]
        variants[name] = {"epoch_seconds": seconds,
                          "steady_seconds": statistics.median(seconds[1:] or seconds)}
        print(f"{name}: {variants[name]}", flush=True)
    result = {"benchmark": "compile_m2", "command": command_line(argv),
              "machine": machine(), "rows": args.rows, "batch_size": args.batch_size,
              "epochs": args.epochs, "variants": variants}
    write_machine_result(result, "compile_m2", args, markdown(result))
    return result


if __name__ == "__main__":
    main()
