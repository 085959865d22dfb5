"""The displays draw what they say, keep their artists, and draw into a given Axes."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sklearn_ssvae import M1Classifier, M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised
from sklearn_ssvae.plotting import (
    GeneratedSamplesDisplay,
    LatentSpaceDisplay,
    TrainingCurvesDisplay,
)

plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(scope="module")
def digits_m2():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    y_semi = make_semi_supervised(y, 100, random_state=0)
    clf = M2Classifier(hidden_sizes=(64,), latent_dim=4, max_epochs=3, early_stopping=True,
                       random_state=0, device="cpu").fit(X, y_semi)
    return clf, X, y_semi


def test_generated_samples_grid_has_a_row_per_class(digits_m2):
    clf, _, _ = digits_m2
    display = GeneratedSamplesDisplay.from_estimator(clf, n_per_class=5, random_state=0)
    assert display.images.shape == (10, 5, 8, 8)
    assert display.image_.get_array().shape == (10 * 9, 5 * 9)  # 8x8 images, 1-pixel border
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == [str(c) for c in range(10)]
    plt.close(display.figure_)


def test_displays_draw_into_a_given_axes(digits_m2):
    clf, X, y_semi = digits_m2
    figure, axes = plt.subplots(1, 3)
    GeneratedSamplesDisplay.from_estimator(clf, ax=axes[0])
    latent = LatentSpaceDisplay.from_estimator(clf, X, y_semi, ax=axes[1])
    curves = TrainingCurvesDisplay.from_estimator(clf, ax=axes[2])
    assert latent.ax_ is axes[1] and curves.ax_ is axes[2] and latent.figure_ is figure
    plt.close(figure)


def test_latent_space_separates_labelled_and_unlabelled_rows(digits_m2):
    clf, X, y_semi = digits_m2
    display = LatentSpaceDisplay.from_estimator(clf, X, y_semi)
    assert len(display.unlabelled_.get_offsets()) == np.sum(y_semi == -1)
    assert sum(len(s.get_offsets()) for s in display.labelled_.values()) == 100
    assert display.embedding.shape == (len(X), 2)  # latent_dim 4, projected by PCA
    plt.close(display.figure_)


def test_training_curves_show_the_loss_terms_and_validation_accuracy(digits_m2):
    clf, _, _ = digits_m2
    display = TrainingCurvesDisplay.from_estimator(clf)
    assert {"train_loss", "reconstruction", "kl", "classification", "valid_acc"} <= set(
        display.lines_)
    assert display.accuracy_ax_ is not None
    n_epochs = len(clf.net_.history)
    assert len(display.lines_["train_loss"].get_xdata()) == n_epochs
    plt.close(display.figure_)


def test_m1_has_no_class_conditional_samples():
    X, y = load_digits(return_X_y=True)
    clf = M1Classifier(hidden_sizes=(16,), latent_dim=2, max_epochs=1,
                       device="cpu").fit(X / 16, make_semi_supervised(y, 50, random_state=0))
    with pytest.raises(TypeError, match="does not generate given a class"):
        GeneratedSamplesDisplay.from_estimator(clf)
