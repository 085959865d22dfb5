"""Training through Hugging Face Accelerate: one process, and two data-parallel processes."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits

from sklearn_ssvae import M1Classifier, M2Classifier, StackedM1M2Classifier, persistence

accelerate = pytest.importorskip("accelerate")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    y_semi = np.where(np.random.RandomState(0).rand(len(y)) < 0.1, y, -1)
    return X / 16, y_semi


@pytest.mark.parametrize("make", [
    lambda **kw: M1Classifier(max_epochs=2, **kw),
    lambda **kw: M2Classifier(max_epochs=2, **kw),
    lambda **kw: StackedM1M2Classifier(m1=M1Classifier(max_epochs=2), max_epochs=2, **kw),
], ids=["M1", "M2", "M1+M2"])
def test_one_process_trains_as_without_accelerator(make, digits):
    # One CPU process: Accelerate adds no parallelism and no precision change, so the fit
    # must be the same up to float rounding. Not bit for bit: on one CI machine the two M1
    # fits differed by 2.3e-6 (cause not found; on this project's other machines they are
    # equal). Another seed moves the probabilities by at least 100 times the tolerance, so a
    # change in what is trained (batches, their order, the loss's scale) does not pass.
    X, y = digits
    tolerance = 2e-5
    plain = make(random_state=0, device="cpu").fit(X, y).predict_proba(X)
    accelerated = make(random_state=0, accelerator=accelerate.Accelerator(cpu=True)).fit(X, y)
    assert type(accelerated.net_).__name__ == "AcceleratedNet"
    np.testing.assert_allclose(accelerated.predict_proba(X), plain, rtol=0, atol=tolerance)
    other_seed = make(random_state=1, device="cpu").fit(X, y).predict_proba(X)
    assert np.abs(other_seed - plain).max() > 100 * tolerance


def test_accelerated_model_pickles_clones_and_saves(digits, tmp_path):
    X, y = digits
    clf = M2Classifier(max_epochs=2, random_state=0,
                       accelerator=accelerate.Accelerator(cpu=True)).fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    assert clone(clf).get_params()["accelerator"] is not None
    with pytest.warns(UserWarning, match="accelerator=.* cannot be saved") as caught:
        persistence.save(clf, tmp_path / "model.safetensors")
    assert caught[0].filename == __file__
    loaded = persistence.load(tmp_path / "model.safetensors")
    assert loaded.accelerator is None
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


def test_quiet_unless_verbose(digits, capsys):
    X, y = digits
    M2Classifier(max_epochs=1, accelerator=accelerate.Accelerator(cpu=True)).fit(X, y)
    assert capsys.readouterr().out == ""


def test_precision_is_left_to_the_accelerator(digits):
    X, y = digits
    clf = M2Classifier(precision="bfloat16", accelerator=accelerate.Accelerator(cpu=True))
    with pytest.raises(ValueError, match="mixed_precision='bf16'"):
        clf.fit(X, y)
    assert not hasattr(clf, "classes_")


def test_two_processes_share_every_batch_and_keep_the_same_weights(tmp_path):
    worker = Path(__file__).with_name("accelerate_worker.py")
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
         "2", str(worker), str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{k}.json").read_text()) for k in (0, 1)]
    assert [r["num_processes"] for r in ranks] == [2, 2]
    # Gradients are averaged: both processes hold the same model after every step.
    assert ranks[0]["weights_sha256"] == ranks[1]["weights_sha256"]
    # In every epoch the two shares of each batch are disjoint, and together the batches
    # cover each of the 1,797 rows once (the labelled ones outnumber the batches).
    epochs = [r["batches"] for r in ranks]
    assert len(epochs[0]) == len(epochs[1]) == 10
    labelled = set(ranks[0]["labelled"])
    for epoch0, epoch1 in zip(*epochs, strict=True):
        assert len(epoch0) == len(epoch1) == 8
        for share0, share1 in zip(epoch0, epoch1, strict=True):
            assert not set(share0) & set(share1)
            assert (set(share0) | set(share1)) & labelled  # every batch has labelled rows
        rows = [row for share in epoch0 + epoch1 for row in share]
        assert sorted(rows) == list(range(1797))
    assert ranks[0]["batches"][0] != ranks[0]["batches"][1]  # shuffled afresh every epoch
    assert ranks[0]["accuracy"] > 0.6  # it learnt (chance is 0.1)


MIXED_PRECISION_SCRIPT = """
import pickle
import numpy as np
from accelerate import Accelerator
from sklearn.datasets import load_digits
from sklearn_ssvae import M2Classifier

X, y = load_digits(return_X_y=True)
y = np.where(np.arange(len(y)) % 10 == 0, y, -1)
accelerator = Accelerator(cpu=True, mixed_precision="bf16")
clf = M2Classifier(max_epochs=1, random_state=0, accelerator=accelerator).fit(X / 16, y)
assert accelerator._models == [] and accelerator._optimizers == [], "accelerator holds the fit"
copy = pickle.loads(pickle.dumps(clf))
np.testing.assert_array_equal(copy.predict_proba(X / 16), clf.predict_proba(X / 16))
print("ok")
"""


def test_mixed_precision_fit_pickles_and_leaves_nothing_with_the_accelerator():
    # A process of its own: Accelerate's state is one per process, and its precision is
    # fixed by the first Accelerator made there.
    result = subprocess.run([sys.executable, "-c", MIXED_PRECISION_SCRIPT],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]


class FakeAccelerator:
    """The attributes the settings check reads, as from ``accelerate launch`` with 2 GPUs."""

    num_processes = 2
    mixed_precision = "no"
    gradient_accumulation_steps = 1
    device_placement = True

    def prepare(self, *args):
        raise AssertionError("the check must refuse before anything is prepared")

    def backward(self, loss):
        raise AssertionError("the check must refuse before anything is trained")


@pytest.mark.parametrize("change, message", [
    ({"mixed_precision": "fp16"}, "mixed_precision='bf16'"),
    ({"gradient_accumulation_steps": 4}, "larger batch_size"),
    ({"device_placement": False}, "device_placement=False"),
    ({}, "set random_state to an int"),
])
def test_settings_the_package_cannot_train_with_are_refused(change, message, digits):
    accelerator = FakeAccelerator()
    vars(accelerator).update(change)
    X, y = digits
    with pytest.raises(ValueError, match=message):
        M2Classifier(accelerator=accelerator).fit(X, y)
