"""Describe the machine a benchmark ran on."""

import os
import platform
import re
import subprocess
from pathlib import Path

import torch

from sklearn_ssvae._base import native_cpu_bfloat16


def machine():
    """CPU model and cores, GPU if any, software versions and the git commit, as a dict.

    The commit is the one checked out when the benchmark started (``COMMIT_AT_START``).
    """
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cpu_cores": os.cpu_count(),
        # "AMD EPYC" names machines of different generations: the vector instructions torch
        # uses (AVX2 or AVX512) and native bfloat16 products tell them apart, and change speed
        # severalfold.
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_native_bfloat16": native_cpu_bfloat16(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    import numpy  # noqa: E401
    import sklearn
    import skorch

    info.update(numpy=numpy.__version__, sklearn=sklearn.__version__, skorch=skorch.__version__)
    info["git_commit"] = COMMIT_AT_START
    return info


def describe(info):
    """The machine in words for a results table: GPU or CPU, cores, CPU vector instructions
    (where recorded; files written before they were have none) and torch's version."""
    isa = ""
    if "cpu_capability" in info:
        bf16 = {True: "native", False: "no native", None: "unknown"}[info["cpu_native_bfloat16"]]
        isa = f" (CPU: {info['cpu_capability']}, {bf16} CPU bfloat16)"
    return f"{info['gpu'] or info['cpu']}, {info['cpu_cores']} cores{isa}, torch {info['torch']}"


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def git_commit(root=PROJECT_ROOT):
    """The checked-out commit, '+dirty' if tracked files differ from it.

    Files under ``benchmarks/results/`` do not count: a run that follows another rewrites the
    results file the first one left, which is data, not the code the run executes. Outside git
    (a copy of the working tree on a GPU machine, say) it is ``$BENCHMARK_GIT_COMMIT``, which
    the copy's sender sets from its own checkout (``device_prepare.sh``), or None.
    """

    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no", "--",
                                                ".", ":(exclude)benchmarks/results") else "")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("BENCHMARK_GIT_COMMIT")


# Read once, when a benchmark imports this module at its start: a long run records the code it
# ran, not whatever was committed while it ran.
COMMIT_AT_START = git_commit()


def machine_tag(info):
    """A short tag for result file names: the GPU's name, or 'cpu<cores>'."""
    if info["gpu"]:
        return re.sub(r"[^a-z0-9]+", "-", info["gpu"].lower()).strip("-")
    return f"cpu{info['cpu_cores']}"
