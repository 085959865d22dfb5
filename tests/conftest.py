"""Fixtures shared by the test modules."""

from pathlib import Path

import pytest

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
