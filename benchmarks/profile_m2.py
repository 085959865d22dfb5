"""Where M2's training step spends its time: ``torch.profiler`` over the plain training loop.

It trains the package's own ``M2Module`` and ``M2Objective`` (the paper's networks, batch 256,
100 labels) in ``speed.py``'s plain loop, once unprofiled for the wall time and once under
``torch.profiler``, and splits the operators' own time into matrix products (``mm``,
``addmm``, ``bmm``) and everything else. With the FLOPs of a step counted as in ``speed.py``
it gives the rate the matrix products run at, and the ceiling of the naive-FLOPs efficiency
that ``speed.py`` reports if everything but the matrix products took no time at all. It
profiles the CPU, also on a machine with a GPU (the results say so in their file name).

Run from the repository root (about a minute on 2 CPU cores)::

    python benchmarks/profile_m2.py --data-home ../shared/data

Results go to ``benchmarks/results/profile_m2-<machine>.json`` and ``.md``.
"""

import argparse
import sys
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, command_line, write_machine_result  # noqa: E402
from _machine import describe, machine  # noqa: E402
from speed import build, flops_per_row, matmul_gflops, mnist_rows, plain_epochs  # noqa: E402

from sklearn_ssvae import M2Classifier  # noqa: E402

MATMUL_OPS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--rows", type=int, default=12800)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="1,280 rows")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = 1280

    X, y = mnist_rows(args.data_home, args.rows, 100, args.seed)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    torch.manual_seed(args.seed)
    estimator = M2Classifier(batch_size=args.batch_size)
    module, objective = build(estimator, X.shape[1], 100 / len(X))
    lr = estimator.learning_rate

    def epoch():
        return plain_epochs(module, objective, X, y, args.batch_size, 1, lr, args.seed)[0]

    epoch()  # warm-up
    wall = min(epoch(), epoch())
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        profiled_wall = epoch()
    ops = sorted(((e.key, e.self_cpu_time_total / 1e6, e.count) for e in prof.key_averages()),
                 key=lambda op: -op[1])
    total = sum(seconds for _, seconds, _ in ops)
    matmul = sum(seconds for key, seconds, _ in ops if key in MATMUL_OPS)
    naive, actual = flops_per_row(module, objective, X, y, args.batch_size)
    rate = matmul_gflops()
    result = {
        "benchmark": "profile_m2",
        "command": command_line(argv),
        "machine": {**machine(), "gpu": None},  # the CPU was profiled, whatever else is here
        "rows": args.rows,
        "batch_size": args.batch_size,
        "epoch_wall_seconds": wall,
        "profiled_epoch_wall_seconds": profiled_wall,
        "operators_self_seconds": total,
        "matmul_seconds": matmul,
        "matmul_share_pct": 100 * matmul / total,
        "matmul_gflops": rate,
        "matmul_achieved_gflops": actual * args.rows / matmul / 1e9,
        "naive_pct_of_matmul": 100 * naive * args.rows / wall / 1e9 / rate,
        "naive_pct_ceiling_matmul_only": 100 * naive * args.rows / matmul / 1e9 / rate,
        "operators": [{"op": key, "self_seconds": s, "calls": n} for key, s, n in ops],
    }
    write_machine_result(result, "profile_m2", args, markdown(result))
    return result


def markdown(result):
    """The profile as Markdown: the totals, then the operators above 0.5% of the time."""
    m, r = result["machine"], result
    lines = [
        f"Machine: {describe(m)}; "
        f"fp32 matmul {r['matmul_gflops']:.0f} GFLOP/s. M2 (one hidden layer of 500, latent "
        f"50), batch {r['batch_size']}, {r['rows']} rows, plain loop.",
        "",
        f"- Epoch: {r['epoch_wall_seconds']:.2f} s unprofiled "
        f"({r['naive_pct_of_matmul']:.0f}% of the matmul rate counting naive FLOPs).",
        f"- Matrix products: {r['matmul_share_pct']:.0f}% of the operators' time, at "
        f"{r['matmul_achieved_gflops']:.0f} GFLOP/s.",
        f"- Ceiling with every other operator free: {r['naive_pct_ceiling_matmul_only']:.0f}% "
        "of the matmul rate counting naive FLOPs.",
        "",
        "| operator | self seconds | share | calls |",
        "|---|---|---|---|",
    ]
    for op in r["operators"]:
        share = 100 * op["self_seconds"] / r["operators_self_seconds"]
        if share >= 0.5:
            lines.append(f"| `{op['op']}` | {op['self_seconds']:.3f} | {share:.1f}% "
                         f"| {op['calls']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
