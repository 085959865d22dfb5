"""Interruptions, checkpoints and determinism: nothing lost, nothing silently different."""

import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, LoadInitState

from sklearn_ssvae import M1Classifier, M2Classifier, StackedM1M2Classifier
from sklearn_ssvae._net import TrainingInterruptedWarning
from sklearn_ssvae.callbacks import Checkpoint, StopTraining

RNG = np.random.RandomState(0)
X = RNG.rand(120, 16).astype(np.float32)
Y = np.where(np.arange(120) < 20, np.arange(120) % 2, -1)
SMALL = {"hidden_sizes": (8,), "latent_dim": 2, "batch_size": 16, "random_state": 0}


class RaiseAt(Callback):
    """Raise ``exception`` in the middle of epoch ``epoch`` (1-based), after its first batch."""

    def __init__(self, epoch, exception):
        self.epoch = epoch
        self.exception = exception

    def on_batch_end(self, net, **kwargs):
        if len(net.history) == self.epoch and len(net.history[-1, "batches"]) == 1:
            if self.exception == "SIGINT":  # a real Ctrl-C, delivered to this process
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)  # the handler raises KeyboardInterrupt here
            raise self.exception


@pytest.fixture
def ctrl_c_raises():
    """Python's own SIGINT handler, also where the run was started with SIGINT ignored (a shell's
    background job), so that the signal raises KeyboardInterrupt as at a terminal."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("cls", [M1Classifier, M2Classifier], ids=lambda c: c.__name__)
def test_ctrl_c_keeps_a_usable_model_and_says_so(cls, ctrl_c_raises):
    clf = cls(max_epochs=5, callbacks=[RaiseAt(3, "SIGINT")], **SMALL)
    with pytest.warns(TrainingInterruptedWarning,
                      match=r"after 2 complete epoch\(s\) of 5") as caught:
        clf.fit(X, Y)
    assert caught[0].filename == __file__
    assert len(clf.net_.history) == 3
    assert all(torch.isfinite(p).all() for p in clf.net_.module_.parameters())
    assert clf.predict(X).shape == (len(X),)
    assert np.isfinite(clf.transform(X)).all()


def test_stop_training_ends_quietly():
    clf = M2Classifier(max_epochs=5, callbacks=[RaiseAt(2, StopTraining)], **SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingInterruptedWarning)
        clf.fit(X, Y)
    assert len(clf.net_.history) == 2


def test_checkpoint_saves_every_epoch_and_resumes(tmp_path):
    checkpoint = Checkpoint(dirname=str(tmp_path))
    M2Classifier(max_epochs=2, callbacks=[checkpoint], **SMALL).fit(X, Y)
    assert {"params.pt", "optimizer.pt", "history.json"} <= set(os.listdir(tmp_path))
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".partial")]
    resumed = M2Classifier(max_epochs=1, callbacks=[checkpoint, LoadInitState(checkpoint)],
                           **SMALL).fit(X, Y)
    assert len(resumed.net_.history) == 3  # two loaded epochs, one more trained


class SnapshotAt(Callback):
    """Keep a copy of the weights at the end of epoch 1."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 1:
            type(self).weights = {k: v.clone() for k, v in net.module_.state_dict().items()}


def test_failed_checkpoint_write_keeps_the_previous_file(tmp_path, monkeypatch):
    from sklearn_ssvae._net import SemiSupervisedNet

    save_params = SemiSupervisedNet.save_params

    def half_write_then_fail(net, **kwargs):
        if len(net.history) == 2 and kwargs.get("f_module"):
            with open(kwargs["f_module"], "wb") as f:
                f.write(b"half a file")
            raise OSError("No space left on device")
        return save_params(net, **kwargs)

    monkeypatch.setattr(SemiSupervisedNet, "save_params", half_write_then_fail)
    callbacks = [SnapshotAt(), Checkpoint(dirname=str(tmp_path))]
    with pytest.warns(RuntimeWarning, match="previous checkpoint file is unchanged"):
        M2Classifier(max_epochs=2, callbacks=callbacks, **SMALL).fit(X, Y)
    saved = torch.load(tmp_path / "params.pt", weights_only=True)
    for name, value in SnapshotAt.weights.items():
        torch.testing.assert_close(saved[name], value, rtol=0, atol=0)


def test_killed_fit_leaves_a_loadable_checkpoint(tmp_path):
    script = (
        "import numpy as np\n"
        "from sklearn_ssvae import M2Classifier\n"
        "from sklearn_ssvae.callbacks import Checkpoint\n"
        "X = np.random.RandomState(0).rand(1000, 32).astype(np.float32)\n"
        "y = np.where(np.arange(1000) < 40, np.arange(1000) % 2, -1)\n"
        f"M2Classifier(max_epochs=10000, batch_size=32, hidden_sizes=(32,), device='cpu',\n"
        f"             callbacks=[Checkpoint(dirname={str(tmp_path)!r})]).fit(X, y)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "history.json").exists():
            assert process.poll() is None, "the training process ended early"
            assert time.monotonic() < deadline, "no checkpoint written within 120 s"
            time.sleep(0.1)
        time.sleep(1.0)  # let it be killed at an arbitrary point of later epochs
    finally:
        process.kill()
        process.wait()
    params = torch.load(tmp_path / "params.pt", weights_only=True)
    assert all(torch.isfinite(v).all() for v in params.values())
    torch.load(tmp_path / "optimizer.pt", weights_only=True)


ESTIMATORS = {
    "M1": lambda: M1Classifier(max_epochs=3, **SMALL),
    "M2": lambda: M2Classifier(max_epochs=3, **SMALL),
    "M1+M2": lambda: StackedM1M2Classifier(m1=M1Classifier(max_epochs=3, **SMALL),
                                           max_epochs=3, **SMALL),
}


@pytest.mark.parametrize("make", ESTIMATORS.values(), ids=ESTIMATORS.keys())
def test_same_random_state_gives_bit_identical_predictions(make):
    a, b = make().fit(X, Y), make().fit(X, Y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


@pytest.mark.parametrize("make", ESTIMATORS.values(), ids=ESTIMATORS.keys())
def test_prediction_never_samples(make):
    clf = make().fit(X, Y)
    state = torch.random.get_rng_state()
    first = clf.predict_proba(X), clf.transform(X), clf.predict(X)
    second = clf.predict_proba(X), clf.transform(X), clf.predict(X)
    assert torch.equal(torch.random.get_rng_state(), state)  # no draw from torch's generator
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
