"""Training speed of M2 and M1: the package against a plain PyTorch loop and the machine.

For each configuration (M2 and M1, MLP and CNN networks, batch sizes) it trains on MNIST's
training rows, 100 of them labelled, and measures per epoch the wall seconds, rows per second
and the process's peak memory, twice:

- ``package``: the estimator (``M2Classifier`` / ``M1Classifier``), through skorch;
- ``plain``: a plain PyTorch loop over the identical module and objective (the package's own
  ``M2Module``/``M2Objective``, ``M1Module``/``VAEObjective``), the same Adam, seed and batch
  composition (the labelled rows dealt out to every batch), written here in a dozen lines. The
  difference is the package's overhead: skorch, callbacks, batching.

Each (configuration, implementation) runs in a fresh subprocess, so peak memory is its own.

It also measures the fp32 matrix-multiply rate of the training device (4096 x 4096, all
threads) and counts FLOPs with ``torch.utils.flop_counter``: the *naive* FLOPs of one training
row (every class enumerated through the full encoder and decoder, one-hot class inputs
included, forward and backward) and the FLOPs the package actually computes.
``naive_pct_of_matmul`` = naive FLOPs per second / matmul rate: above 100% only by not
computing what need not be computed.

Last, the time for M2 to reach 95% accuracy on 5,000 held-out training rows with 1,000 labels
(the hyperparameters are arguments; the values used are written into the results). The
default settings, alpha=10, 32 labelled rows per batch and Adam at 2e-3, learned fastest of
the five tried on these same validation rows (``results/speed-cpu2-settings-trials.json``), so
the time they take is that of settings tuned for it; an earlier stop found 3e-3 unstable.

Run from the repository root (about 30 minutes on 2 CPU cores)::

    python benchmarks/speed.py --data-home ../shared/data

``--quick`` (2,000 rows, one epoch, MLPs only, no time-to-accuracy) checks that it runs. Results
go to ``benchmarks/results/speed-<machine>.json`` and ``.md``.
"""

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FAST_M2, RESULTS, command_line, write_machine_result  # noqa: E402
from _machine import describe, machine  # noqa: E402

from sklearn_ssvae import M1Classifier, M2Classifier  # noqa: E402
from sklearn_ssvae._base import resolve_device  # noqa: E402
from sklearn_ssvae._batching import SemiSupervisedBatches  # noqa: E402
from sklearn_ssvae._models import M2Module  # noqa: E402
from sklearn_ssvae._net import ValidationAccuracy  # noqa: E402
from sklearn_ssvae.datasets import load_mnist, make_semi_supervised  # noqa: E402

# name: (estimator class, its parameters). Batch 256 is the estimators' default; 500 is
# Kingma's (1 labelled + 499 unlabelled rows per batch at N=100). The paper's networks.
CONFIGS = {
    "m2-mlp-b256": (M2Classifier, {"batch_size": 256}),
    "m2-mlp-b500": (M2Classifier, {"batch_size": 500}),
    "m2-mlp-b256-bf16": (M2Classifier, {"batch_size": 256, "precision": "bfloat16"}),
    "m1-mlp-b256": (M1Classifier, {"batch_size": 256}),
    "m2-cnn-b256": (M2Classifier, {"batch_size": 256, "network": "cnn",
                                   "image_shape": (28, 28)}),
    "m1-cnn-b256": (M1Classifier, {"batch_size": 256, "network": "cnn",
                                   "image_shape": (28, 28)}),
    # The CNN in q(y|x) alone, MLPs in the enumerated q(z|x,y) and decoder.
    "m2-cnnq-b256": (M2Classifier, {"batch_size": 256, "classifier_network": "cnn",
                                    "image_shape": (28, 28)}),
}
# Large batches for a GPU, where a step of 256 rows is too short to keep the device busy.
GPU_CONFIGS = {
    "m2-mlp-b4096": (M2Classifier, {"batch_size": 4096}),
    "m2-mlp-b4096-bf16": (M2Classifier, {"batch_size": 4096, "precision": "bfloat16"}),
}
CONFIGS.update(GPU_CONFIGS)
N_LABELLED = 100
N_CLASSES = 10


def matmul_gflops(size=4096, repeats=10, device="cpu", dtype=torch.float32):
    """Median rate of a ``size`` x ``size`` matrix product on ``device``, GFLOP/s.

    On the CPU with all threads; on a GPU as fp32 is set there (TF32 off by default).
    ``dtype=torch.bfloat16`` gives the rate that ``precision='bfloat16'`` can draw on.
    """
    device = torch.device(device)
    a, b = (torch.randn(size, size, device=device, dtype=dtype) for _ in range(2))

    def product():
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(2):
        product()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        product()
        seconds.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(seconds) / 1e9


def rss_mb():
    """The process's resident memory now, MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb():
    """The process's peak resident memory so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(estimator, n_features, labelled_fraction):
    """The module and objective that ``estimator`` trains, built by its own ``_net_params``.

    The fitted attributes those depend on are set as ``fit`` would set them for MNIST, so the
    plain loop trains exactly the package's networks and objective.
    """
    estimator.classes_ = np.arange(N_CLASSES)
    estimator.n_features_in_ = n_features
    estimator.likelihood_ = "bernoulli"
    params = estimator._net_params(labelled_fraction)
    module = params.pop("module")(**{k.removeprefix("module__"): v for k, v in params.items()
                                     if k.startswith("module__")})
    criterion = params.pop("criterion")(**{k.removeprefix("criterion__"): v
                                           for k, v in params.items()
                                           if k.startswith("criterion__")})
    return module, criterion


def plain_epochs(module, objective, X, y, batch_size, epochs, lr, seed, autocast_dtype=None):
    """Train with a plain PyTorch loop; the wall seconds of each epoch."""
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr, fused=True)
    labelled, unlabelled = torch.nonzero(y >= 0).squeeze(1), torch.nonzero(y < 0).squeeze(1)
    n_batches = math.ceil(len(X) / batch_size)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        module.train()
        lab = labelled[torch.randperm(len(labelled), device=X.device)]
        lab = lab.repeat(math.ceil(n_batches / len(labelled)))
        unlab = unlabelled[torch.randperm(len(unlabelled), device=X.device)]
        lab = lab[: max(n_batches, len(labelled))]
        batches = zip(lab.tensor_split(n_batches), unlab.tensor_split(n_batches), strict=True)
        for idx_l, idx_u in batches:
            index = torch.cat([idx_l, idx_u])
            with torch.autocast(X.device.type, dtype=autocast_dtype,
                                enabled=autocast_dtype is not None):
                loss, _ = objective(module, X[index], y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if X.device.type == "cuda":  # the epoch ends when the device has done its work
            torch.cuda.synchronize(X.device)
        seconds.append(time.perf_counter() - start)
    return seconds


def flops_per_row(module, objective, X, y, batch_size):
    """Naive and actual training FLOPs per row (forward and backward), on one batch.

    Naive: q(y|x) once, then every class through the full q(z|x,y) and p(x|y,z), each with the
    one-hot class as K extra inputs of its first layer (added analytically: forward and weight
    gradient, 2 FLOPs a multiply-add). Actual: one step of the objective as trained.
    """
    x, yb = next(iter(SemiSupervisedBatches(Dataset(X, y), batch_size, training=True)))
    with FlopCounterMode(display=False) as counter:
        loss, _ = objective(module, x, yb)
        loss.backward()
    actual = counter.get_total_flops() / len(x)
    if not isinstance(module, M2Module):
        return actual, actual
    with FlopCounterMode(display=False) as counter:
        total = module.encoder_y(x).logsumexp(-1).sum()
        for k in range(module.n_classes):
            reconstruction, kl = module.neg_elbo_terms(x, torch.full((len(x),), k,
                                                                        device=x.device))
            total = total + (reconstruction + kl).sum()
        total.backward()
    module.zero_grad()
    one_hot = 2 * 2 * module.n_classes**2 * (
        module.encoder_z.input.out_features + module.decoder.input.out_features)
    return counter.get_total_flops() / len(x) + one_hot, actual


def mnist_rows(data_home, n_rows, n_labelled, seed):
    """The first ``n_rows`` of a fixed shuffle of MNIST's training set, semi-supervised."""
    X, y, _, _ = load_mnist(data_home)
    order = np.random.RandomState(seed).permutation(len(X))[:n_rows]
    return X[order], make_semi_supervised(y[order], n_labelled, random_state=seed)


def run_worker(args):
    """One (configuration, implementation) measurement; prints its JSON."""
    cls, params = CONFIGS[args.config]
    X, y_semi = mnist_rows(args.data_home, args.rows, N_LABELLED, args.seed)
    device = resolve_device(args.device)  # where the estimator trains
    estimator = cls(max_epochs=args.epochs, random_state=args.seed, device=device, **params)
    baseline = rss_mb()
    if args.implementation == "package":
        estimator.fit(X, y_semi)
        seconds = [float(s) for s in estimator.net_.history[:, "dur"]]
    else:
        torch.manual_seed(args.seed)
        module, objective = build(estimator, X.shape[1], N_LABELLED / len(X))
        module = module.to(device)
        y = torch.as_tensor(y_semi, device=device)
        autocast = torch.bfloat16 if estimator.precision == "bfloat16" else None
        X = torch.as_tensor(X, device=device)
        seconds = plain_epochs(module, objective, X, y, params["batch_size"], args.epochs,
                               estimator.learning_rate, args.seed, autocast)
    result = {"epoch_seconds": seconds, "rss_before_fit_mb": baseline,
              "peak_rss_mb": peak_rss_mb()}
    if args.implementation == "plain":
        naive, actual = flops_per_row(module, objective, X, y, params["batch_size"])
        result.update(naive_flops_per_row=naive, actual_flops_per_row=actual)
    print(json.dumps(result))


def run_time_to_accuracy(args):
    """Seconds for M2 to reach ``--target`` validation accuracy with 1,000 labels."""
    X, y, _, _ = load_mnist(args.data_home)
    order = np.random.RandomState(args.seed).permutation(len(X))
    val, fit = order[:5000], order[5000:]
    y_semi = make_semi_supervised(y[fit], 1000, random_state=args.seed)
    params = json.loads(args.m2_params)
    clf = M2Classifier(max_epochs=args.max_epochs, random_state=args.seed, device=args.device,
                       callbacks=[ValidationAccuracy(torch.as_tensor(X[val]), y[val],
                                                     target=args.target)], **params)
    start = time.perf_counter()
    clf.fit(X[fit], y_semi)
    wall = time.perf_counter() - start
    history = clf.net_.history
    accuracy = [float(a) for a in history[:, "valid_acc"]]
    print(json.dumps({
        "params": params,
        "n_train_rows": len(fit),
        "n_validation_rows": len(val),
        "target_accuracy": args.target,
        "reached": accuracy[-1] >= args.target,
        "epochs": len(accuracy),
        "train_seconds": float(sum(history[:, "dur"])),
        "wall_seconds_with_validation": wall,
        "valid_acc_per_epoch": accuracy,
    }))


def subprocess_json(argv):
    """Run this script with ``argv`` in a fresh interpreter; the JSON it prints last."""
    out = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def steady_epochs(runs):
    """The epoch seconds of every run but each run's first epoch (one-off warm-up)."""
    return [s for run in runs for s in run["epoch_seconds"][1:] or run["epoch_seconds"]]


def summarise(name, package, plain, matmul, n_rows):
    """Per-epoch figures of one configuration: the median steady epoch of each implementation.

    ``package`` and ``plain`` are lists of runs (the repeats, interleaved).
    """
    pkg_s, plain_s = (statistics.median(steady_epochs(runs)) for runs in (package, plain))
    flops = plain[0]
    naive, actual = flops["naive_flops_per_row"], flops["actual_flops_per_row"]
    return {
        "config": name,
        "rows": n_rows,
        "package_epoch_seconds": pkg_s,
        "plain_epoch_seconds": plain_s,
        "package_rows_per_s": n_rows / pkg_s,
        "plain_rows_per_s": n_rows / plain_s,
        "package_overhead_pct": 100 * (pkg_s / plain_s - 1),
        "naive_gflop_per_row_epoch": naive / 1e9,
        "actual_gflop_per_row_epoch": actual / 1e9,
        "package_naive_gflops": naive * n_rows / pkg_s / 1e9,
        "package_naive_pct_of_matmul": 100 * naive * n_rows / pkg_s / 1e9 / matmul,
        "package_actual_pct_of_matmul": 100 * actual * n_rows / pkg_s / 1e9 / matmul,
        "package_peak_rss_mb": max(r["peak_rss_mb"] for r in package),
        "package_rss_before_fit_mb": package[0]["rss_before_fit_mb"],
        "plain_peak_rss_mb": max(r["peak_rss_mb"] for r in plain),
        "package": package,
        "plain": plain,
    }


def markdown(result):
    """The results as a Markdown table."""
    m = result["machine"]
    lines = [
        f"Machine: {describe(m)}; "
        f"fp32 matmul {result['matmul_gflops']:.0f} GFLOP/s (median of start and end)"
        + (f"; bfloat16 matmul {result['bfloat16_matmul_gflops']:.0f} GFLOP/s (2048 x 2048)."
           if result.get("bfloat16_matmul_gflops") else "."),
        "",
        "| config | rows | package s/epoch | plain s/epoch | overhead | package rows/s "
        "| naive GFLOP/s | % of matmul (naive) | % of matmul (actual) | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["configs"]:
        lines.append(
            f"| {r['config']} | {r['rows']} | {r['package_epoch_seconds']:.2f} "
            f"| {r['plain_epoch_seconds']:.2f} | {r['package_overhead_pct']:+.1f}% "
            f"| {r['package_rows_per_s']:.0f} | {r['package_naive_gflops']:.0f} "
            f"| {r['package_naive_pct_of_matmul']:.0f}% "
            f"| {r['package_actual_pct_of_matmul']:.0f}% "
            f"| {r['package_peak_rss_mb']:.0f} |"
        )
    for t in result["time_to_accuracy"]:
        lines.append(
            f"\nM2 to {100 * t['target_accuracy']:.0f}% validation accuracy, 1,000 labels "
            f"({t['params']}): {'reached' if t['reached'] else 'NOT reached'} after "
            f"{t['epochs']} epochs, {t['train_seconds']:.0f} s of training "
            f"({t['wall_seconds_with_validation']:.0f} s with the validation passes); best "
            f"validation accuracy {100 * max(t['valid_acc_per_epoch']):.2f}%.")
    lines += ["", "Targets: " + "; ".join(f"{k}: {v}" for k, v in result["targets"].items())]
    return "\n".join(lines) + "\n"


def check_targets(result):
    """Each target of issue 8 for this machine, with the measured value and the margin."""
    m2 = next(r for r in result["configs"] if r["config"] == "m2-mlp-b256")
    targets = {
        "package overhead <= 10%":
            f"{m2['package_overhead_pct']:+.1f}% "
            f"({'met' if m2['package_overhead_pct'] <= 10 else 'missed'})",
    }
    on_gpu = torch.device(result["device"]).type == "cuda"
    if on_gpu:  # the fastest float32 batch size
        fp32_m2 = [r for r in result["configs"]
                   if r["config"].startswith("m2-mlp") and "bf16" not in r["config"]]
        best = min(fp32_m2, key=lambda r: r["package_epoch_seconds"] / r["rows"])
        seconds = best["package_epoch_seconds"] * 60000 / best["rows"]
        targets["M2 epoch of 60,000 rows <= 1 s"] = (
            f"{seconds:.2f} s, {best['config']} ({'met' if seconds <= 1 else 'missed'})")
    else:
        pct = m2["package_naive_pct_of_matmul"]
        targets["M2 epoch >= 120% of matmul rate (naive FLOPs)"] = (
            f"{pct:.0f}% ({'met' if pct >= 120 else f'missed by {120 - pct:.0f} points'})")
    bf16 = [r for r in result["configs"] if r["config"] == "m2-mlp-b256-bf16"]
    if bf16 and not on_gpu:
        pct = bf16[0]["package_naive_pct_of_matmul"]
        targets["(bfloat16 option, against the fp32 matmul rate)"] = f"{pct:.0f}%"
    for t in [] if on_gpu else result["time_to_accuracy"]:
        ok = t["reached"] and t["train_seconds"] < 300
        best = 100 * max(t["valid_acc_per_epoch"])
        targets[f"time to 95% validation accuracy, N=1000, < 300 s, {t['params']}"] = (
            f"{t['train_seconds']:.0f} s, {'reached' if t['reached'] else 'not reached'}"
            f"{'' if t['reached'] else f' (best {best:.2f}%)'} ({'met' if ok else 'missed'})")
    return targets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=60000, help="rows for the MLP configs")
    parser.add_argument("--cnn-rows", type=int, default=3000, help="rows for the CNN configs")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each implementation per configuration, interleaved")
    parser.add_argument("--configs", nargs="+", default=None, choices=list(CONFIGS),
                        help="default: all, less the large-batch ones on a machine without CUDA")
    parser.add_argument("--m2-params", nargs="+", default=[
                            json.dumps({"alpha": 10, **FAST_M2}),
                            json.dumps({"alpha": 10, **FAST_M2, "precision": "bfloat16"})],
                        help="JSON parameters of M2Classifier for the time to accuracy, one "
                             "measurement per value")
    parser.add_argument("--no-time-to-accuracy", action="store_true",
                        help="time the epochs only (the time-to-accuracy fits take longest)")
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--max-epochs", type=int, default=25)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    # Internal: one measurement in a subprocess.
    parser.add_argument("--worker", nargs=2, metavar=("CONFIG", "IMPLEMENTATION"))
    parser.add_argument("--time-to-accuracy-worker", action="store_true")
    args = parser.parse_args(argv)

    if args.worker:
        args.config, args.implementation = args.worker
        return run_worker(args)
    if args.time_to_accuracy_worker:
        args.m2_params = args.m2_params[0]
        return run_time_to_accuracy(args)
    device = resolve_device(args.device)
    on_gpu = torch.device(device).type == "cuda"
    if args.configs is None:
        args.configs = [c for c in CONFIGS if c not in GPU_CONFIGS or on_gpu]
    if args.quick:
        args.rows, args.cnn_rows, args.epochs = 2000, 2000, 1
        args.configs = [c for c in args.configs if "cnn" not in c]

    common = ["--data-home", str(args.data_home), "--device", args.device,
              "--seed", str(args.seed), "--epochs", str(args.epochs)]
    if args.data_home is None:
        common = common[2:]
    matmul_start = matmul_gflops(device=device)
    print(f"fp32 matmul: {matmul_start:.0f} GFLOP/s", flush=True)
    configs = []
    for name in args.configs:
        rows = args.cnn_rows if "cnn" in name else args.rows
        runs = {"package": [], "plain": []}
        for _ in range(args.repeats):  # interleaved, so that a slow spell hits both
            for impl in runs:
                runs[impl].append(subprocess_json(
                    [*common, "--rows", str(rows), "--worker", name, impl]))
        configs.append(summarise(name, runs["package"], runs["plain"], matmul_start, rows))
        c = configs[-1]
        print(f"{name}: package {c['package_epoch_seconds']:.2f} s/epoch "
              f"({c['package_overhead_pct']:+.1f}% against plain), "
              f"{c['package_naive_pct_of_matmul']:.0f}% of matmul (naive)", flush=True)
    time_to_accuracy = []
    time_to_accuracy_params = [] if args.quick or args.no_time_to_accuracy else args.m2_params
    for m2_params in time_to_accuracy_params:
        time_to_accuracy.append(subprocess_json([
            *common, "--time-to-accuracy-worker", "--m2-params", m2_params,
            "--target", str(args.target), "--max-epochs", str(args.max_epochs)]))
        t = time_to_accuracy[-1]
        print(f"{m2_params}: {'reached' if t['reached'] else 'not reached'} "
              f"{args.target} after {t['train_seconds']:.0f} s", flush=True)
    matmul_end = matmul_gflops(device=device)
    matmul = statistics.median([matmul_start, matmul_end])
    # bfloat16's own rate, where a configuration or a timed fit uses it (a smaller product:
    # it is slow where emulated). On some CPUs with native bfloat16 products it is below fp32's.
    uses_bf16 = any(CONFIGS[c][1].get("precision") == "bfloat16" for c in args.configs) or any(
        json.loads(m).get("precision") == "bfloat16" for m in time_to_accuracy_params)
    bf16_matmul = (matmul_gflops(size=2048, repeats=5, device=device, dtype=torch.bfloat16)
                   if uses_bf16 else None)
    for c in configs:  # efficiency against the rate over the whole run
        c.update(summarise(c["config"], c["package"], c["plain"], matmul, c["rows"]))
    info = machine()
    result = {
        "benchmark": "speed",
        "command": command_line(argv),
        "machine": info,
        "device": device,
        "seed": args.seed,
        "matmul_gflops": matmul,
        "matmul_gflops_start_end": [matmul_start, matmul_end],
        "bfloat16_matmul_gflops": bf16_matmul,
        "configs": configs,
        "time_to_accuracy": time_to_accuracy,
    }
    result["targets"] = check_targets(result)
    write_machine_result(result, "speed", args, markdown(result))
    return result


if __name__ == "__main__":
    main()
