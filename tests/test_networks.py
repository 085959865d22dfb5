"""The networks: image layout, shape checks, and the CNNs inside both estimators."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from sklearn_ssvae import M1Classifier, M2Classifier
from sklearn_ssvae._models import M2Module
from sklearn_ssvae._networks import ConvDecoderTail, ImageRows, check_image_shape
from sklearn_ssvae.datasets import make_semi_supervised

CNN = dict(network="cnn", image_shape=(12, 12), latent_dim=4, hidden_sizes=(32,), max_epochs=2,
           batch_size=64, random_state=0)


@pytest.mark.parametrize(
    "image_shape, n_features, match",
    [
        (None, 64, "need image_shape"),
        ((8, 8), 65, "holds 64 values"),
        ((6, 6), 36, "multiples of 4"),
        ((8, 8), 64, "at least 10"),
        ((8,), 8, "height, width"),
    ],
)
def test_bad_image_shapes_are_refused(image_shape, n_features, match):
    with pytest.raises(ValueError, match=match):
        check_image_shape(image_shape, n_features)


def test_each_cnn_asks_only_for_what_it_needs_of_the_image_shape():
    # The conv encoder and decoder need multiples of 4, the Keras q(y|x) at least 10 pixels.
    assert check_image_shape((8, 8), 64, conv_classifier=False) == (8, 8, 1)
    assert check_image_shape((10, 10), 100, conv_autoencoder=False) == (10, 10, 1)
    with pytest.raises(ValueError, match="multiples of 4"):
        check_image_shape((10, 10), 100, conv_classifier=False)
    with pytest.raises(ValueError, match="classifier_network='mlp'"):
        check_image_shape((8, 8), 64, conv_autoencoder=False)


@pytest.mark.parametrize(
    "Estimator, params, side",
    [
        (M1Classifier, {}, 8),  # M1's classifier is not a network
        (M2Classifier, {"classifier_network": "mlp"}, 8),
        (M2Classifier, {"network": "mlp", "classifier_network": "cnn"}, 10),
    ],
)
def test_cnns_fit_images_as_small_as_they_allow(Estimator, params, side):
    X, y = load_digits(return_X_y=True)
    pad = (side - 8) // 2
    X = np.pad(X[:200].reshape(-1, 8, 8) / 16.0, ((0, 0), (pad, pad), (pad, pad)))
    X = X.reshape(200, -1)
    y_semi = make_semi_supervised(y[:200], 50, random_state=0)
    clf = Estimator(**{**CNN, "image_shape": (side, side), "max_epochs": 1, **params})
    clf.fit(X, y_semi)
    assert clf.predict(X).shape == (200,)
    X_new, _ = clf.sample(2, random_state=0)
    assert X_new.shape == (2, side * side)


def test_image_rows_read_rows_channels_last():
    images = torch.arange(2 * 4 * 4 * 3, dtype=torch.float32).reshape(2, 4, 4, 3)
    rows = ImageRows(nn.Identity(), (4, 4, 3))(images.reshape(2, -1))
    torch.testing.assert_close(rows, images.permute(0, 3, 1, 2).reshape(2, -1))


def test_image_rows_and_decoder_tail_keep_leading_axes():
    trunk = ImageRows(nn.Conv2d(1, 2, 3, padding=1), (12, 12, 1))
    assert trunk(torch.zeros(5, 3, 144)).shape == (5, 3, 288)
    tail = ConvDecoderTail((12, 12, 1))
    assert tail(torch.zeros(5, 3, tail.n_in())).shape == (5, 3, 144)


def test_decoder_tail_gives_each_parameter_as_its_own_channels_last_block():
    torch.manual_seed(0)
    tail = ConvDecoderTail((12, 12, 3), n_params=2)
    h = torch.randn(4, tail.n_in())
    out = tail(h)
    assert out.shape == (4, 2 * 432)
    images = tail.deconvs(h.reshape(-1, *tail.small))  # (4, 2 * 3, 12, 12)
    for p, block in enumerate(out.chunk(2, dim=-1)):
        expected = images[:, 3 * p:3 * (p + 1)].permute(0, 2, 3, 1).reshape(4, -1)
        torch.testing.assert_close(block, expected)


def test_cnn_enumeration_matches_a_loop_over_classes():
    torch.manual_seed(0)
    module = M2Module(144, 3, 2, (16,), "bernoulli", network="cnn", image_shape=(12, 12, 1))
    module.eval()  # fixed batch-norm statistics and no dropout
    x = torch.rand(5, 144)
    eps = torch.randn(5, 3, 2)
    reconstruction, kl = module.neg_elbo_terms(x, None, eps)
    for k in range(3):
        rec_k, kl_k = module.neg_elbo_terms(x, torch.full((5,), k), eps[:, k])
        torch.testing.assert_close(reconstruction[:, k], rec_k)
        torch.testing.assert_close(kl[:, k], kl_k)


@pytest.mark.parametrize("Estimator", [M1Classifier, M2Classifier])
def test_cnn_estimators_fit_and_predict_on_images(Estimator):
    X, y = load_digits(return_X_y=True)
    X = np.pad(X[:300].reshape(-1, 8, 8) / 16.0, ((0, 0), (2, 2), (2, 2))).reshape(300, -1)
    y_semi = make_semi_supervised(y[:300], 50, random_state=0)
    clf = Estimator(**CNN).fit(X, y_semi)
    assert clf.predict(X).shape == (300,)
    assert clf.transform(X).shape == (300, 4)
    X_new, _ = clf.sample(3, random_state=0)
    assert X_new.shape == (3, 144) and np.all((X_new >= 0) & (X_new <= 1))


def test_cnn_classifier_alone_keeps_mlps_in_the_encoder_and_decoder():
    X, y = load_digits(return_X_y=True)
    X = np.pad(X[:300].reshape(-1, 8, 8) / 16.0, ((0, 0), (2, 2), (2, 2))).reshape(300, -1)
    y_semi = make_semi_supervised(y[:300], 50, random_state=0)
    clf = M2Classifier(**{**CNN, "network": "mlp"}, classifier_network="cnn").fit(X, y_semi)
    module = clf.net_.module_
    assert any(isinstance(m, nn.Conv2d) for m in module.encoder_y.modules())
    assert not any(isinstance(m, nn.Conv2d) for m in module.encoder_z.modules())
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in module.decoder.modules())
    assert clf.predict_proba(X).shape == (300, 10)
    mlp_only = M2Classifier(**CNN, classifier_network="mlp").fit(X, y_semi).net_.module_
    assert not any(isinstance(m, nn.Conv2d) for m in mlp_only.encoder_y.modules())
    assert any(isinstance(m, nn.Conv2d) for m in mlp_only.encoder_z.modules())


def test_cnn_classifier_needs_an_image_shape():
    X = np.random.RandomState(0).rand(20, 144)
    y = np.repeat([0, 1, -1, -1], 5)
    with pytest.raises(ValueError, match="need image_shape"):
        M2Classifier(classifier_network="cnn", max_epochs=1).fit(X, y)


def test_cnn_with_wrong_image_shape_names_the_problem():
    X = np.random.RandomState(0).rand(20, 144)
    y = np.repeat([0, 1, -1, -1], 5)
    with pytest.raises(ValueError, match="holds 49 values"):
        M2Classifier(**{**CNN, "image_shape": (7, 7)}).fit(X, y)


@pytest.mark.parametrize("Estimator", [M1Classifier, M2Classifier])
def test_softplus_activation_reaches_every_dense_layer(Estimator):
    X, y = load_digits(return_X_y=True)
    X = X[:200] / 16
    y_semi = make_semi_supervised(y[:200], 50, random_state=0)
    clf = Estimator(activation="softplus", hidden_sizes=(16, 16), latent_dim=2, max_epochs=1,
                    random_state=0).fit(X, y_semi)
    kinds = {type(m) for m in clf.net_.module_.modules()}
    assert nn.Softplus in kinds and nn.ReLU not in kinds
    assert clf.predict_proba(X[:3]).shape == (3, len(clf.classes_))


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation"):
        M2Classifier(activation="tanh").fit(np.zeros((4, 2)), [0, 1, -1, -1])
