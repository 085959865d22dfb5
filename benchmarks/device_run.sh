#!/usr/bin/env bash
# On a lent GPU machine (the workplace's `device` tool), after benchmarks/device_prepare.sh
# here: run with carry [".device"] and timeout_s about 560 (the steps' own limits, 200 + 320 s,
# and the install). Each step writes its log and results under $OUT (what comes back), so a
# step cut short still leaves the others':
#
# 1. the test suite with the GPU visible, 8 processes (pytest-xdist is in that image;
#    device='auto' trains on CUDA; the dataset tests skip, as ../shared does not travel);
# 2. benchmarks/speed.py on CUDA over MNIST's 60,000 rows: issue 8's GPU target, an M2 epoch
#    in at most 1 s, with the large-batch GPU configurations and the time to 95% validation
#    accuracy.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?set OUT to the folder whose files come back}"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .device/wheels/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
export BENCHMARK_GIT_COMMIT="$(cat .device/commit)"  # read only where git is not
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, sklearn, skorch; print('torch', torch.__version__, 'sklearn',
sklearn.__version__, 'skorch', skorch.__version__, 'cuda', torch.cuda.is_available())" \
    | tee -a "$OUT/gpu.txt"
timeout 200 python3 -m pytest -q -p no:cacheprovider -n 8 tests 2>&1 | tail -40 > "$OUT/tests.log"
tail -3 "$OUT/tests.log"
timeout 320 python3 benchmarks/speed.py --data-home .device/data --device cuda --out "$OUT" \
    --configs m2-mlp-b256 m2-mlp-b4096 m2-mlp-b4096-bf16 m1-mlp-b256 2>&1 | tail -60 \
    > "$OUT/speed.log"
tail -25 "$OUT/speed.log"
