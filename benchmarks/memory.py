"""Memory: a 1,000,000-row fit in bounded memory, and no leak across a 50-fit grid search.

``large``: generates X of 1,000,000 x 784 float32 values in [0, 1] (3.1 GB) with 1,000 labelled
rows, fits M1 and M2 for one epoch each and runs ``predict_proba`` and ``transform`` on all of
it, recording the process's resident memory (sampled every 20 ms) before and during each step.
A fit that copied X, or upcast it to float64, would add 3.1 GB (or 6.3 GB); the figures show
what each step adds beyond X.

``grid``: ``GridSearchCV`` over 10 candidates x 5 folds (50 fits) of ``M2Classifier`` on
``load_digits`` scaled to [0, 1] with 200 labels, in one process. The resident memory and the
number of threads are recorded after every fit (through the scorer); a leak shows as growth
from the first fits to the last.

Run from the repository root (about 10 minutes on 2 CPU cores)::

    python benchmarks/memory.py

``--rows`` makes the large part smaller (``--quick``: 20,000 rows, fewer fits). Results go to
``benchmarks/results/memory-<machine>.json`` and ``.md``.
"""

import argparse
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, command_line, write_machine_result  # noqa: E402
from _machine import describe, machine  # noqa: E402

from sklearn_ssvae import M1Classifier, M2Classifier  # noqa: E402
from sklearn_ssvae.datasets import make_semi_supervised  # noqa: E402

MIB = 2**20


def proc_status(field):
    """An integer field of /proc/self/status (VmRSS and VmHWM in kB, Threads)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def rss_mib():
    return proc_status("VmRSS") / 1024


@contextmanager
def peak_rss(record, name):
    """Record the resident memory before a step and its peak during it (sampled every 20 ms)."""
    before = rss_mib()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        done.set()
        sampler.join()
        peak[0] = max(peak[0], rss_mib())
        record[name] = {"rss_before_mib": before, "peak_rss_mib": peak[0],
                        "added_mib": peak[0] - before, "seconds": time.perf_counter() - start}
        print(f"{name}: +{peak[0] - before:.0f} MiB over {before:.0f} MiB "
              f"({record[name]['seconds']:.0f} s)", flush=True)


def large(n_rows, seed):
    """Fit M1 and M2 on ``n_rows`` x 784 generated float32 rows; memory of each step."""
    record = {"rss_at_start_mib": rss_mib()}
    rng = np.random.default_rng(seed)
    with peak_rss(record, "generate X"):
        X = np.empty((n_rows, 784), dtype=np.float32)
        for start in range(0, n_rows, 100_000):  # in blocks: no float64 temporaries
            rng.random(out=X[start : start + 100_000], dtype=np.float32)
        y = make_semi_supervised(rng.integers(0, 10, n_rows), 1000, random_state=seed)
    record["X_mib"] = X.nbytes / MIB
    for name, clf in [("M1", M1Classifier(max_epochs=1, random_state=seed, device="cpu")),
                      ("M2", M2Classifier(max_epochs=1, random_state=seed, device="cpu"))]:
        with peak_rss(record, f"{name} fit"):
            clf.fit(X, y)
        with peak_rss(record, f"{name} predict_proba"):
            proba = clf.predict_proba(X)
        with peak_rss(record, f"{name} transform"):
            latent = clf.transform(X)
        record[f"{name} outputs_mib"] = (proba.nbytes + latent.nbytes) / MIB
        del clf, proba, latent
    record["n_rows"] = n_rows
    return record


def grid(n_splits, seed):
    """A grid search of 10 candidates x ``n_splits`` folds; memory and threads per fit."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    y_semi = make_semi_supervised(y, 200, random_state=seed)
    after_fit = []

    def scorer(estimator, X_test, y_test):
        after_fit.append({"rss_mib": rss_mib(), "threads": proc_status("Threads")})
        return estimator.score(X_test, y_test)

    search = GridSearchCV(
        M2Classifier(hidden_sizes=(128,), max_epochs=10, random_state=seed, device="cpu"),
        {"alpha": [0.1, 1.0, 10.0, 100.0, 1000.0], "latent_dim": [4, 16]},
        cv=StratifiedKFold(n_splits, shuffle=True, random_state=seed),
        scoring=scorer,
        refit=False,
    )
    record = {"rss_before_mib": rss_mib(), "threads_before": proc_status("Threads")}
    start = time.perf_counter()
    search.fit(X, y_semi)
    record.update(
        n_fits=len(after_fit),
        seconds=time.perf_counter() - start,
        rss_after_each_fit_mib=[a["rss_mib"] for a in after_fit],
        threads_after_each_fit=[a["threads"] for a in after_fit],
        peak_rss_mib=proc_status("VmHWM") / 1024,
        best_params=search.best_params_,
    )
    tail = max(1, len(after_fit) // 5)
    record["rss_growth_first_to_last_fits_mib"] = (
        np.mean(record["rss_after_each_fit_mib"][-tail:])
        - np.mean(record["rss_after_each_fit_mib"][:tail]))
    print(f"grid: {len(after_fit)} fits, peak {record['peak_rss_mib']:.0f} MiB, growth "
          f"{record['rss_growth_first_to_last_fits_mib']:+.1f} MiB, threads "
          f"{record['threads_before']} -> {record['threads_after_each_fit'][-1]}", flush=True)
    return record


def markdown(result):
    """The results as Markdown."""
    m, big, g = result["machine"], result["large"], result["grid"]
    lines = [
        f"Machine: {describe(m)}.",
        "",
        f"{big['n_rows']:,} rows x 784 float32: X is {big['X_mib']:.0f} MiB.",
        "",
        "| step | RSS before (MiB) | peak RSS (MiB) | added (MiB) | seconds |",
        "|---|---|---|---|---|",
    ]
    for name, step in big.items():
        if isinstance(step, dict):
            lines.append(f"| {name} | {step['rss_before_mib']:.0f} | {step['peak_rss_mib']:.0f} "
                         f"| {step['added_mib']:.0f} | {step['seconds']:.0f} |")
    lines += [
        "",
        f"Grid search, {g['n_fits']} fits in one process ({g['seconds']:.0f} s): peak RSS "
        f"{g['peak_rss_mib']:.0f} MiB; RSS after the first fits "
        f"{g['rss_after_each_fit_mib'][0]:.0f} MiB, after the last "
        f"{g['rss_after_each_fit_mib'][-1]:.0f} MiB (growth, mean of the last fifth minus the "
        f"first: {g['rss_growth_first_to_last_fits_mib']:+.1f} MiB); threads "
        f"{g['threads_before']} before, {g['threads_after_each_fit'][-1]} after the last fit.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.folds = 20_000, 2
    result = {
        "benchmark": "memory",
        "command": command_line(argv),
        "seed": args.seed,
        "grid": grid(args.folds, args.seed),
        "large": large(args.rows, args.seed),
        "machine": machine(),
    }
    write_machine_result(result, "memory", args, markdown(result))
    return result


if __name__ == "__main__":
    main()
