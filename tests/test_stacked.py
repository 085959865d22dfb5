"""StackedM1M2Classifier: M2 on M1's latent space, with z1 resampled every batch."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch.dataset import Dataset

from sklearn_ssvae import M1Classifier, StackedM1M2Classifier
from sklearn_ssvae._batching import ResampledLatentBatches
from sklearn_ssvae.datasets import make_semi_supervised

M1_PARAMS = dict(latent_dim=16, hidden_sizes=(128,), batch_size=64, max_epochs=20)
M2_PARAMS = dict(latent_dim=8, hidden_sizes=(64,), batch_size=64, max_epochs=20, alpha=1.0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.3, stratify=y, random_state=0
    )
    return X_train, make_semi_supervised(y_train, 50, random_state=0), X_test, y_test


@pytest.fixture(scope="module")
def stacked(digits):
    X_train, y_semi = digits[:2]
    m1 = M1Classifier(**M1_PARAMS, random_state=0)
    return StackedM1M2Classifier(m1=m1, **M2_PARAMS, random_state=0).fit(X_train, y_semi)


def test_stacked_beats_m1_alone_on_mnist_with_100_labels(mnist):
    X_train, y_train, X_test, y_test = mnist
    X_train, X_test, y_test = X_train[:10000], X_test[:2000], y_test[:2000]
    y_semi = make_semi_supervised(y_train[:10000], 100, random_state=0)
    m1 = M1Classifier(latent_dim=32, hidden_sizes=(256,), max_epochs=20, random_state=0)
    stacked = StackedM1M2Classifier(m1=m1, latent_dim=16, hidden_sizes=(256,), max_epochs=50,
                                    alpha=1.0, random_state=0).fit(X_train, y_semi)
    m1_alone = stacked.m1_.score(X_test, y_test)  # the same M1, with its LogisticRegression
    assert stacked.score(X_test, y_test) > m1_alone + 0.05, (stacked.score(X_test, y_test),
                                                             m1_alone)


def test_generated_rows_are_decoded_to_data_space(stacked):
    X_new, y_new = stacked.sample(5, y=[1, 2, 3, 4, 5], random_state=0)
    assert X_new.shape == (5, 64)
    assert y_new.tolist() == [1, 2, 3, 4, 5]
    assert X_new.min() >= 0 and X_new.max() <= 1  # M1's Bernoulli means


def test_fit_warns_when_q_y_x_gives_every_labelled_row_one_class(digits, collapse_q_y_x):
    X_train, y_semi = digits[:2]
    m1 = M1Classifier(latent_dim=4, hidden_sizes=(32,), max_epochs=2, random_state=0)
    clf = StackedM1M2Classifier(m1=m1, latent_dim=2, hidden_sizes=(16,), max_epochs=1,
                                callbacks=[collapse_q_y_x], random_state=0)
    with pytest.warns(UserWarning, match="class 0: the classifier has collapsed"):
        clf.fit(X_train, y_semi)
    assert (clf.predict(X_train) == 0).all()


@pytest.mark.parametrize("min_latent_std, n_kept", [(0.0, 4), (1e9, 1)])
def test_uninformative_latent_dimensions_are_dropped(digits, min_latent_std, n_kept):
    X_train, y_semi = digits[:2]
    m1 = M1Classifier(latent_dim=4, hidden_sizes=(32,), max_epochs=2, random_state=0)
    clf = StackedM1M2Classifier(m1=m1, min_latent_std=min_latent_std, latent_dim=2,
                                hidden_sizes=(16,), max_epochs=1, random_state=0)
    clf.fit(X_train, y_semi)
    assert len(clf.latent_dims_) == n_kept
    assert clf.net_.module_.encoder_y[0].in_features == n_kept
    assert clf.likelihood_ == "gaussian"


def test_m1_parameters_are_searchable():
    clf = StackedM1M2Classifier(m1=M1Classifier())
    assert "m1__latent_dim" in clf.get_params()
    assert clf.set_params(m1__latent_dim=7).m1.latent_dim == 7


def test_training_batches_resample_z1_and_prediction_batches_do_not():
    n = 4000
    mu, sigma = torch.full((n, 1), 5.0), torch.full((n, 1), 0.5)
    y = torch.full((n,), -1)
    y[:10] = 0
    batches = ResampledLatentBatches(Dataset(torch.cat([mu, sigma], dim=1), y), batch_size=n,
                                     training=True, latent_dim=1)
    (z1, _), = list(batches)
    assert z1.shape == (n, 1)
    assert abs(z1.mean() - 5.0) < 0.05 and abs(z1.std() - 0.5) < 0.05
    (z1_again, _), = list(batches)
    assert not torch.equal(z1, z1_again)
    (x_pred, _), = list(ResampledLatentBatches(Dataset(mu, None), batch_size=n, latent_dim=1))
    assert torch.equal(x_pred, mu)


def test_z1_noise_scales_the_spread_of_m2s_training_draws(digits, monkeypatch):
    from sklearn.frozen import FrozenEstimator

    X_train, y_semi = digits[:2]
    m1 = M1Classifier(latent_dim=4, hidden_sizes=(32,), max_epochs=2, random_state=0)
    m1 = FrozenEstimator(m1.fit(X_train, y_semi))
    seen = []
    fit_m2 = StackedM1M2Classifier._fit_m2

    def spy(self, X, *args, **kwargs):
        seen.append(X)
        return fit_m2(self, X, *args, **kwargs)

    monkeypatch.setattr(StackedM1M2Classifier, "_fit_m2", spy)
    params = dict(m1=m1, min_latent_std=0.0, latent_dim=2, hidden_sizes=(16,), max_epochs=1,
                  random_state=0)
    noises = [1.0, 0.0, 0.5]  # the default first
    for z1_noise in noises:
        StackedM1M2Classifier(**params, z1_noise=z1_noise).fit(X_train, y_semi)
    (mu, sigma), *scaled = (np.split(X, 2, axis=1) for X in seen)
    assert sigma.min() > 0
    for z1_noise, (mu_scaled, sigma_scaled) in zip(noises[1:], scaled, strict=True):
        np.testing.assert_array_equal(mu_scaled, mu)
        np.testing.assert_allclose(sigma_scaled, z1_noise * sigma)


def test_frozen_m1_is_reused_without_refitting(digits):
    from sklearn.frozen import FrozenEstimator

    X_train, y_semi = digits[:2]
    m1 = M1Classifier(latent_dim=4, hidden_sizes=(32,), max_epochs=2, random_state=0)
    m1.fit(X_train, y_semi)
    net = m1.net_
    clf = StackedM1M2Classifier(m1=FrozenEstimator(m1), latent_dim=2, hidden_sizes=(16,),
                                max_epochs=1, random_state=0).fit(X_train, y_semi)
    assert clf.m1_.net_ is net
    assert clf.predict(X_train).shape == (len(X_train),)


def test_heteroscedastic_likelihood_is_m2s_and_bernoulli_is_refused(digits):
    X_train, y_semi = digits[:2]
    m1 = M1Classifier(**{**M1_PARAMS, "max_epochs": 2}, random_state=0)
    small = {**M2_PARAMS, "max_epochs": 2}
    clf = StackedM1M2Classifier(m1=m1, likelihood="gaussian_heteroscedastic", **small,
                                random_state=0).fit(X_train, y_semi)
    assert clf.likelihood_ == "gaussian_heteroscedastic"
    assert clf.net_.module_.decoder(torch.zeros(1, small["latent_dim"]), torch.tensor([0])
                                    ).shape == (1, 2 * len(clf.latent_dims_))
    with pytest.raises(ValueError, match="likelihood"):
        StackedM1M2Classifier(m1=m1, likelihood="bernoulli").fit(X_train, y_semi)


def test_classifier_on_x_sees_the_rows_and_m2_models_z1(digits):
    X_train, y_semi, X_test, y_test = digits
    m1 = M1Classifier(**M1_PARAMS, random_state=0)
    clf = StackedM1M2Classifier(m1=m1, classifier_input="x", **M2_PARAMS,
                                random_state=0).fit(X_train, y_semi)
    module = clf.net_.module_
    assert module.encoder_y[0].in_features == 64  # the pixels
    assert module.encoder_z.input.in_features == len(clf.latent_dims_)
    assert clf.score(X_test, y_test) > 0.8
    assert clf.transform(X_test[:3]).shape == (3, M2_PARAMS["latent_dim"])
    assert np.isfinite(clf.score_samples(X_test[:3])).all()
    assert clf.sample(2, random_state=0)[0].shape == (2, 64)


def test_cnn_classifier_on_images(digits):
    X_train, y_semi = digits[:2]
    images = np.kron(X_train.reshape(-1, 8, 8), np.ones((2, 2))).reshape(len(X_train), -1)
    m1 = M1Classifier(latent_dim=4, hidden_sizes=(32,), max_epochs=1, random_state=0)
    clf = StackedM1M2Classifier(m1=m1, classifier_input="x", classifier_network="cnn",
                                image_shape=(16, 16), latent_dim=2, hidden_sizes=(16,),
                                max_epochs=1, early_stopping=True, random_state=0)
    clf.fit(images, y_semi)
    assert any(isinstance(m, torch.nn.Conv2d) for m in clf.net_.module_.encoder_y.modules())
    assert clf.predict_proba(images[:5]).shape == (5, 10)


@pytest.mark.parametrize("params, match", [
    ({"classifier_network": "cnn"}, "classifier_input='x'"),
    ({"classifier_input": "x", "classifier_network": "cnn"}, "image_shape"),
])
def test_a_cnn_classifier_needs_images_before_m1_is_fitted(digits, params, match,
                                                           monkeypatch):
    def fit(self, X, y):
        raise AssertionError("M1 was fitted before the classifier's settings were checked")

    monkeypatch.setattr(M1Classifier, "fit", fit)
    X_train, y_semi = digits[:2]
    with pytest.raises(ValueError, match=match):
        StackedM1M2Classifier(m1=M1Classifier(), **params).fit(X_train, y_semi)


def test_training_batches_pass_the_classifiers_inputs_through():
    n, d = 6, 2
    mu, sigma, u = torch.zeros(n, d), torch.ones(n, d), torch.arange(n * 3.0).reshape(n, 3)
    y = torch.tensor([0, -1, -1, -1, -1, -1])
    batches = ResampledLatentBatches(Dataset(torch.cat([mu, sigma, u], dim=1), y),
                                     batch_size=n, training=True, latent_dim=d)
    (rows, _), = list(batches)
    assert rows.shape == (n, d + 3)
    assert sorted(rows[:, d:].tolist()) == u.tolist()  # u as it was (the rows come shuffled)
    assert rows[:, :d].std() > 0  # z1 drawn
