#!/usr/bin/env bash
# Here, before a run on a lent GPU machine (the workplace's `device` tool): put what that
# machine lacks into .device/ (ignored by git, carried by the run): skorch's wheel (its image
# has torch, scikit-learn, numpy, scipy, tqdm and tabulate, not skorch) and MNIST from
# ../shared/data (CIFAR-10, 170 MB, is over the 64 MiB a run may carry), and the commit.
# Commit first: the device runs what is checked out here. Then, on the device:
#
#     bash benchmarks/device_run.sh      (carry: [".device"])
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .device/wheels .device/data
python -m pip download -q --no-deps --only-binary=:all: -d .device/wheels \
    "skorch==$(python -c 'import skorch; print(skorch.__version__)')"
cp ../shared/data/mnist.npz .device/data/
# The copy that travels may have no .git: the runs there then record this commit.
python -c 'import sys; sys.path.insert(0, "benchmarks"); from _machine import git_commit
print(git_commit())' > .device/commit
cat .device/commit
du -sh .device
