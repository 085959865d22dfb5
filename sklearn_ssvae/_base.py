"""What every estimator of the package shares: data checks, seeding, device, scoring."""

import copy
import functools
import platform
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.metrics import accuracy_score
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._augment import AUGMENTATIONS, augmentation
from ._batching import AugmentedBatches
from ._likelihoods import LIKELIHOODS
from ._net import SemiSupervisedNet, as_float_tensor, check_finite_weights, progress_callbacks
from ._networks import ACTIVATIONS, NETWORKS, check_image_shape
from ._validation import labelled_rows, warn_user

# Noise shared by every row in score_samples, so that a row's bound does not depend on its batch.
_SCORE_SEED = 0


def unfitted_on_error(fit):
    """Decorate ``fit`` so that a fit that raises leaves the estimator unfitted.

    Without it, attributes set before the error (``n_features_in_``, ``classes_``, a net
    with partly trained weights) would make a failed estimator look fitted.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        try:
            return fit(self, *args, **kwargs)
        except Exception:
            self._forget_fit()
            raise

    return wrapper


def resolve_device(device):
    """'auto' becomes 'cuda' when a GPU is available, else 'cpu'; others pass through."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def seed_from(random_state):
    """A 31-bit seed drawn from a sklearn ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextmanager
def seeded_torch(seed, device):
    """Seed torch's global generators with ``seed`` (an int), restoring them on exit.

    Weight initialisation, batch shuffles and the reparameterisation noise all draw from the
    global generators, so seeding them once before the net is built makes a fit repeatable
    without leaving the user's torch random state changed.
    """
    device = torch.device(device)
    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield


def native_cpu_bfloat16():
    """Whether this CPU multiplies bfloat16 matrices natively: True or False on x86 (AVX-512
    BF16 or AMX), None (not known) on other processors."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686"):
        return None

    def probe(name):  # torch's private CPU probes; a torch without one counts as "no"
        return bool(getattr(torch.cpu, name, lambda: False)())

    return probe("_is_avx512_bf16_supported") or probe("_is_amx_tile_supported")


def warn_if_bfloat16_is_emulated(precision, device):
    """Warn that ``precision='bfloat16'`` will be slow on an x86 CPU that has to emulate it."""
    if precision == "bfloat16" and torch.device(device).type == "cpu" \
            and native_cpu_bfloat16() is False:
        warn_user(
            "precision='bfloat16' on a CPU without native bfloat16 products (AVX-512 BF16 or "
            "AMX): torch emulates them, and training is likely several times slower than "
            "with precision='float32'.",
        )


class BaseSemiSupervisedVAE(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Base class of the semi-supervised VAE classifiers. Not for direct use.

    A classifier first (``predict``, ``score``), and a transformer to the latent space
    (``transform``, ``fit_transform``).
    """

    _parameter_constraints = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_sizes": [tuple, list],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "likelihood": [StrOptions({"auto", *LIKELIHOODS})],
        "network": [StrOptions(set(NETWORKS))],
        "image_shape": [tuple, list, None],
        "augment": [StrOptions(set(AUGMENTATIONS)), None],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "precision": [StrOptions({"float32", "bfloat16"})],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "accelerator": [HasMethods(["prepare", "backward"]), None],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The networks compute in float32, whatever the input's precision.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _validate_X(self, X, reset):
        """X as a float32 array; n_features_in_ is set (reset) or checked."""
        return validate_data(self, X, reset=reset, dtype=np.float32)

    def _validate_Xy(self, X, y):
        """X as for ``_validate_X`` (reset) and y as a 1-D array of the same length.

        The first step of every ``fit``: an ``accelerator``'s settings are checked here too,
        before anything is drawn at random.
        """
        if self.accelerator is not None:
            from ._accelerate import check_accelerator

            check_accelerator(self.accelerator, self.precision, self.random_state)
        X = self._validate_X(X, reset=True)
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
        return X, y

    def _net_params(self, labelled_fraction):
        """The module and criterion of ``net_``, as skorch parameters.

        Built from the estimator's parameters and its fitted attributes (``classes_``,
        ``n_features_in_``, ``likelihood_``, ...), so that ``fit`` and
        :func:`sklearn_ssvae.persistence.load` build the same networks.

        Parameters
        ----------
        labelled_fraction : float
            N_l / N of the training rows (the objective's weights).
        """
        raise NotImplementedError

    def _make_net(self, device, callbacks=(), accelerator=None, **net_params):
        """The skorch net with the estimator's training settings, not yet initialised.

        With an ``accelerator`` (``accelerate.Accelerator``), an ``AcceleratedNet`` that
        leaves device and precision to it; ``device`` is then the accelerator's.
        """
        if accelerator is None:
            net_class = SemiSupervisedNet
            placement = {"device": device, "autocast_dtype": (
                torch.bfloat16 if self.precision == "bfloat16" else None)}
        else:
            from ._accelerate import AcceleratedNet

            net_class, placement = AcceleratedNet, {"accelerator": accelerator}
        # A progress bar from one process only.
        main_process = accelerator is None or accelerator.is_main_process
        return net_class(
            optimizer=torch.optim.Adam,
            # One fused kernel per step instead of a loop over parameters; same update.
            optimizer__fused=torch.device(device).type in ("cpu", "cuda"),
            lr=self.learning_rate,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            callbacks=[*progress_callbacks(self.verbose if main_process else 0), *callbacks,
                       *copy.deepcopy(self.callbacks or [])],
            verbose=self.verbose,
            **placement,
            **net_params,
        )

    def _fit_net(self, X, y_encoded, callbacks=(), **net_params):
        """Build ``net_`` (see ``_net_params``) and train it, seeded.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_columns), float32
            What the training batches are drawn from.
        y_encoded : ndarray of shape (n_samples,), int64
            Class indices, -1 for unlabelled rows.
        callbacks : sequence of skorch callbacks, default=()
            The estimator's own callbacks, run before the user's ``callbacks``.
        **net_params
            Further parameters of ``SemiSupervisedNet`` (a batch iterator, say).
        """
        device = resolve_device(self.device)
        warn_if_bfloat16_is_emulated(self.precision, device)
        # Two seeds: one for the batch shuffles, one for the weights and the noise.
        shuffle_seed, seed = check_random_state(self.random_state).randint(
            np.iinfo(np.int32).max, size=2).tolist()
        if self.accelerator is not None:
            # The same batches in every process, its own noise in each (DDP starts every
            # process from the main one's weights).
            device, seed = self.accelerator.device, seed + self.accelerator.process_index
        shuffles = torch.Generator(device=device).manual_seed(shuffle_seed)
        labelled_fraction = float(np.mean(np.asarray(y_encoded) >= 0))
        with seeded_torch(seed, device):
            net = self._make_net(device, callbacks, self.accelerator,
                                 iterator_train__generator=shuffles,
                                 **self._net_params(labelled_fraction), **net_params)
            net.fit(as_float_tensor(X, device), torch.as_tensor(y_encoded, device=device))
        # The shuffle generator is training state, on the training device: not kept (a CUDA
        # generator in a pickle would not load on a machine without CUDA).
        net.iterator_train__generator = None
        check_finite_weights(net.module_)
        self.net_ = net

    def _restore_net(self, weights, device):
        """Rebuild ``net_`` around saved weights; the fitted attributes are set already.

        Parameters
        ----------
        weights : dict of str to torch.Tensor
            The module's state dict; every key must match (strict).
        device : str or torch.device
        """
        # The objective is built but never used by a restored model (prediction only).
        net = self._make_net(resolve_device(device), **self._net_params(labelled_fraction=0.0))
        net.initialize()
        net.module_.load_state_dict(weights, strict=True)
        self.net_ = net

    def _forget_fit(self):
        """Remove every fitted attribute, so that the estimator reads as unfitted."""
        for name in [name for name in vars(self) if name.endswith("_")
                     and not name.startswith("_")]:
            delattr(self, name)

    def _score_noise(self):
        """Standard normal noise of size latent_dim, the same for every row and every call."""
        return torch.randn(self.latent_dim, generator=torch.Generator().manual_seed(_SCORE_SEED))

    def _sampling_generator(self, n_samples, random_state):
        """Check the model is fitted and ``n_samples`` valid; a torch generator for the draws."""
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int; got {n_samples!r}.")
        return torch.Generator().manual_seed(seed_from(random_state))

    def _network_params(self, n_features, classifier_network=None):
        """The module's ``network`` and checked ``image_shape``, as skorch net parameters.

        ``classifier_network`` is q(y|x)'s network where the module has one (M2), None where
        it has none (M1); a 'cnn' there or in ``network`` needs ``image_shape``.
        """
        image_shape = None
        conv_autoencoder, conv_classifier = self.network == "cnn", classifier_network == "cnn"
        if conv_autoencoder or conv_classifier:
            image_shape = check_image_shape(self.image_shape, n_features, conv_autoencoder,
                                            conv_classifier)
        return {"module__network": self.network, "module__image_shape": image_shape}

    def _augmentation_params(self, X):
        """The skorch net's training batch iterator for ``augment``; none without it."""
        if self.augment is None:
            return {}
        if self.augment == "binarize":
            low, high = np.min(X), np.max(X)
            if low < 0 or high > 1:
                raise ValueError(
                    "augment='binarize' draws each value as 1 with probability the value, so "
                    f"it needs every value of X in [0, 1]; got values in [{low:.4g}, "
                    f"{high:.4g}]."
                )
            image_shape = None
        elif self.image_shape is None:
            raise ValueError(
                f"augment={self.augment!r} shifts (and flips) images, so it needs "
                f"image_shape=(height, width[, channels]) to unflatten the rows."
            )
        else:
            image_shape = check_image_shape(self.image_shape, X.shape[1],
                                            conv_autoencoder=False, conv_classifier=False)
        return {"iterator_train": AugmentedBatches,
                "iterator_train__augment": augmentation(self.augment, image_shape)}

    def _check_hidden_sizes(self):
        sizes = tuple(self.hidden_sizes)
        if not sizes or not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_sizes must be a non-empty sequence of positive ints; got "
                f"{self.hidden_sizes!r}."
            )
        return sizes

    def _map_batches(self, X, fn):
        """Check X, then apply ``fn(module, X_batch)`` in evaluation mode over batches."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self.net_.map_batches(as_float_tensor(X, "cpu"), fn)

    def predict(self, X):
        """The most probable class under ``predict_proba``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy on the labelled rows of ``y``; rows marked -1 are ignored.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True labels, -1 for rows without one.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        y = column_or_1d(y, warn=True)
        mask = labelled_rows(y)
        if not mask.any():
            raise ValueError("y has no labelled rows to score (every value is -1).")
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)[mask]
        y_pred = self.predict(_safe_indexing(X, mask))
        return accuracy_score(y[mask], y_pred, sample_weight=sample_weight)
