"""Fixtures shared by the test modules."""

from pathlib import Path

import pytest
import torch
from skorch.callbacks import Callback

from sklearn_ssvae.datasets import load_cifar10, load_mnist

# The project's datasets live beside the checkout (see ../shared/data/README.md).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def mnist():
    """MNIST from ../shared/data as (X_train, y_train, X_test, y_test); skips where absent."""
    if not (SHARED_DATA / "mnist.npz").exists():
        pytest.skip("no ../shared/data/mnist.npz")
    return load_mnist(SHARED_DATA)


@pytest.fixture(scope="session")
def cifar10():
    """CIFAR-10 from ../shared/data as (X_train, y_train, X_test, y_test); skips where absent."""
    if not (SHARED_DATA / "cifar10.npz").exists():
        pytest.skip("no ../shared/data/cifar10.npz")
    return load_cifar10(SHARED_DATA)


class CollapseQYX(Callback):
    """Ends training with M2's q(y|x) giving every row class index 0, as a collapsed one does."""

    def on_train_end(self, net, **kwargs):
        linears = [m for m in net.module_.encoder_y.modules() if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            linears[-1].weight.zero_()
            linears[-1].bias.zero_()
            linears[-1].bias[0] = 10.0


@pytest.fixture
def collapse_q_y_x():
    """A skorch callback for M2's net that collapses q(y|x) to class index 0 after training."""
    return CollapseQYX()
