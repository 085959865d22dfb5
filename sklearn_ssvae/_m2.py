"""M2Classifier: the M2 model of Kingma et al. (2014) as a scikit-learn classifier."""

from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseSemiSupervisedVAE, seed_from, unfitted_on_error
from ._batching import epoch_plan
from ._likelihoods import resolve_likelihood
from ._loss import M2Objective
from ._models import M2Module
from ._net import ValidationAccuracy
from ._networks import NETWORKS
from ._validation import encode_semi_supervised, warn_user


class M2Classifier(BaseSemiSupervisedVAE):
    """Semi-supervised classifier with the M2 generative model (Kingma et al., 2014).

    M2 treats the class as a latent variable that is observed for the labelled rows:

    - p(y) = Cat(1/K), p(z) = N(0, I), p(x|y,z) = the likelihood on decoder(z, y);
    - q(y|x) = Cat(softmax(encoder_y(x))) is the classifier; q(z|x,y) = N(mu, diag sigma^2).

    A labelled row (x, y) contributes L(x,y) = -E_q[log p(x|y,z)] + KL(q(z|x,y) || p(z))
    - log p(y); an unlabelled row contributes U(x) = sum_y q(y|x) L(x,y) - H(q(y|x)), with
    every class enumerated (never sampled). The objective minimised, per training row, is::

        (N_l/N) mean_labelled L + (N_u/N) mean_unlabelled U + alpha * mean_labelled -log q(y|x)

    for N rows of which N_l are labelled. This is Kingma's objective divided by N, with his
    classification weight alpha_K = alpha * N spread evenly over the labelled rows (each
    labelled row's -log q(y|x) weighted alpha * N / N_l); his default is alpha = 0.1.

    Parameters
    ----------
    latent_dim : int, default=50
        Size of z.
    hidden_sizes : tuple of int, default=(500,)
        Hidden layers of encoder_y, encoder_z and (reversed) the decoder; a CNN encoder_y
        has its own dense layer and ignores them.
    activation : {'relu', 'softplus'}, default='relu'
        Of the dense hidden layers (convolutional layers, and a CNN encoder_y, stay ReLU);
        Kingma's networks used softplus.
    alpha : float, default=0.1
        Weight of the classification term (see above). Too low a weight can leave q(y|x)
        unanchored, so that it gives every row one class; ``fit`` warns when it gives every
        labelled training row the same class.
    network : {'mlp', 'cnn'}, default='mlp'
        'mlp' builds every network from dense layers. 'cnn' uses the seed blog's CNNs for
        image rows (see ``image_shape``): the Keras CIFAR-10 CNN for q(y|x); three conv
        layers with batch norm before q(z|x,y)'s dense layers (``hidden_sizes``); transposed
        convolutions after the decoder's.
    classifier_network : {'mlp', 'cnn'} or None, default=None
        The network of q(y|x) alone, over ``network``'s choice for it; None keeps
        ``network``'s. ``network='mlp', classifier_network='cnn'`` puts the Keras CIFAR-10 CNN
        on image rows in q(y|x) and keeps MLPs in q(z|x,y) and the decoder: the classifier
        runs once per row, the enumerated encoder and decoder K times, so this costs far
        less than ``network='cnn'``.
    image_shape : tuple of int or None, default=None
        With a 'cnn' network, how each row unflattens: (height, width) or (height, width,
        channels), channels last, as ``images.reshape(n, -1)`` flattens it. Height and width
        must be multiples of 4 for ``network='cnn'`` and at least 10 for a CNN q(y|x).
        Needed by ``augment``'s shifts too.
    augment : {'binarize', 'shift', 'flip_shift'} or None, default=None
        Data augmentation while training: every training batch is drawn afresh with each
        value redrawn as 0 or 1, 1 with probability the value ('binarize', dynamic
        binarisation of X in [0, 1]), or with each image (``image_shape``) shifted by a
        random whole number of pixels, up to a tenth of its height and width (edge pixels
        repeated), and with 'flip_shift' also flipped left to right with probability 1/2
        (not for digits). Every term of the objective sees the augmented rows; prediction
        never does. None trains on X as given.
    likelihood : {'auto', 'bernoulli', 'gaussian', 'gaussian_heteroscedastic'}, \
default='auto'
        p(x|y,z). 'auto' is Bernoulli when every value of X lies in [0, 1] (images scaled to
        [0, 1]) and 'gaussian', a Gaussian with a learnt per-feature scale, otherwise
        (standardise the features first). 'gaussian_heteroscedastic' has the decoder give a
        scale for every row and feature as well as the mean (as Kingma's Gaussian does).
    max_epochs : int, default=100
        Passes over the training data.
    batch_size : int, default=256
        Rows per minibatch, labelled and unlabelled together.
    learning_rate : float, default=1e-3
        Adam's step size.
    n_labelled_per_batch : int or None, default=None
        How labelled rows are spread over minibatches. None: evenly over all batches, each
        labelled row once per epoch (cycled so that every batch holds at least one when
        labelled rows are fewer than batches). An int k < batch_size: every batch holds k
        labelled rows, cycling through the labelled set, and batch_size - k unlabelled rows;
        an epoch is then one pass over the unlabelled rows (without unlabelled rows, as many
        batches as None would make, of k rows each), and ``fit`` warns if that deals fewer
        labelled rows an epoch than there are.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the labelled rows (stratified; they stay in
        training as unlabelled rows), record the accuracy of q(y|x) on them after every epoch
        (``valid_acc`` in the epoch table and ``net_.history``), stop when it has not improved
        for ``n_iter_no_change`` epochs, and keep the weights of the best epoch.
    validation_fraction : float, default=0.1
        Share of the labelled rows held out with ``early_stopping`` (at least one per class).
    n_iter_no_change : int, default=10
        Epochs without a better validation accuracy before training stops.
    precision : {'float32', 'bfloat16'}, default='float32'
        'bfloat16' trains with bfloat16 matrix products under ``torch.autocast`` (weights,
        optimiser state and loss sums stay float32), with rounding that differs from
        float32. Faster on GPUs and on some CPUs with native bfloat16 products, slower on
        others, and several times slower where the CPU emulates them (``fit`` warns there);
        ``benchmarks/speed.py`` measures both on a machine. Prediction is always float32.
    device : str or torch.device, default='auto'
        Torch device for training and prediction; 'auto' uses CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order and the reparameterisation noise; the same
        value gives the same model on the same device.
    verbose : int, default=0
        0 is silent; 1 prints a table per epoch with the loss and its terms; 2 also shows a
        progress bar over the batches.
    callbacks : list of skorch callbacks or None, default=None
        Extra callbacks for the skorch net that trains the model (``skorch.callbacks``, or
        ``(name, callback)`` pairs), run after the estimator's own. Each fit works on copies,
        so one list serves many fits; the fitted ones are in ``net_.callbacks_``.
    accelerator : accelerate.Accelerator or None, default=None
        Train through Hugging Face Accelerate (skorch's ``AccelerateMixin``): data-parallel
        over the processes of ``accelerate launch``, each taking its share of every batch,
        and the accelerator's ``mixed_precision`` ('no' or 'bf16'). It places the model, so
        ``device`` is not used, and ``precision`` must stay 'float32'; with several
        processes ``random_state`` must be an int. Prediction needs no accelerator.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels seen in the labelled rows (never -1).
    n_features_in_ : int
        Number of features seen in ``fit``.
    likelihood_ : str
        The likelihood used: 'bernoulli', 'gaussian' or 'gaussian_heteroscedastic'.
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` holds the torch networks and ``net_.history`` the
        per-epoch loss terms.

    See Also
    --------
    sklearn.semi_supervised.LabelSpreading : Graph-based semi-supervised classifier.

    References
    ----------
    D. P. Kingma, D. J. Rezende, S. Mohamed, M. Welling. "Semi-supervised Learning with Deep
    Generative Models". NeurIPS 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_moons
    >>> from sklearn_ssvae import M2Classifier
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> y_semi = np.where(np.arange(200) < 20, y, -1)
    >>> clf = M2Classifier(latent_dim=2, hidden_sizes=(32,), max_epochs=3,
    ...                    random_state=0).fit(X, y_semi)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        **BaseSemiSupervisedVAE._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n_labelled_per_batch": [Interval(Integral, 1, None, closed="left"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "classifier_network": [StrOptions(set(NETWORKS)), None],
    }

    def __init__(
        self,
        *,
        latent_dim=50,
        hidden_sizes=(500,),
        activation="relu",
        alpha=0.1,
        network="mlp",
        classifier_network=None,
        image_shape=None,
        augment=None,
        likelihood="auto",
        max_epochs=100,
        batch_size=256,
        learning_rate=1e-3,
        n_labelled_per_batch=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        precision="float32",
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        accelerator=None,
    ):
        self.latent_dim = latent_dim
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.alpha = alpha
        self.network = network
        self.classifier_network = classifier_network
        self.image_shape = image_shape
        self.augment = augment
        self.likelihood = likelihood
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.n_labelled_per_batch = n_labelled_per_batch
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.accelerator = accelerator

    @_fit_context(prefer_skip_nested_validation=True)
    @unfitted_on_error
    def fit(self, X, y):
        """Fit M2 on labelled and unlabelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All rows, labelled and unlabelled.
        y : array-like of shape (n_samples,)
            Labels, with -1 for unlabelled rows (for string labels, an object array with the
            int -1).

        Returns
        -------
        self : M2Classifier
        """
        X, y = self._validate_Xy(X, y)
        self.classes_, y_encoded = encode_semi_supervised(y)
        self.likelihood_ = resolve_likelihood(self.likelihood, X)
        y_train, validation = self._hold_out_validation(X, y_encoded)
        self._fit_m2(X, y_train, callbacks=validation, **self._augmentation_params(X))
        self._warn_if_one_class(X, y_encoded)
        return self

    def _hold_out_validation(self, X_classifier, y_encoded):
        """With ``early_stopping``, hide the labels of a stratified validation share.

        The held-out rows stay in training as unlabelled rows (their x is data like any other);
        only their labels are kept apart, to score q(y|x) after every epoch.

        Parameters
        ----------
        X_classifier : ndarray of shape (n_samples, n_inputs)
            The rows as q(y|x) takes them.
        y_encoded : ndarray of shape (n_samples,)
            Class indices, -1 for unlabelled rows.

        Returns
        -------
        y_train : ndarray of shape (n_samples,)
            ``y_encoded`` with the validation rows set to -1.
        callbacks : list
            The validation callback, or empty without early stopping.
        """
        if not self.early_stopping:
            return y_encoded, []
        labelled = np.flatnonzero(y_encoded >= 0)
        counts = np.bincount(y_encoded[labelled], minlength=len(self.classes_))
        if counts.min() < 2:
            scarce = self.classes_[counts.argmin()].tolist()  # a Python scalar for the message
            raise ValueError(
                f"early_stopping holds out labelled rows of every class for validation, which "
                f"needs at least 2 labelled rows per class; class {scarce!r} has "
                f"{counts.min()}."
            )
        _, validation = train_test_split(
            labelled, test_size=max(self.validation_fraction, len(counts) / len(labelled)),
            stratify=y_encoded[labelled], random_state=seed_from(self.random_state),
        )
        y_train = y_encoded.copy()
        y_train[validation] = -1
        callback = ValidationAccuracy(torch.as_tensor(X_classifier[validation]),
                                      y_encoded[validation], self.n_iter_no_change)
        return y_train, [("valid_acc", callback)]

    def _fit_m2(self, X, y_encoded, callbacks=(), **net_params):
        """Build and train the M2 net on checked data; the fitted attributes are set already.

        Refuses an ``n_labelled_per_batch`` that fills the batch, and warns where one leaves
        labelled rows out of every epoch (``_warn_if_labelled_rows_unseen``).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_columns), float32
            What the training batches are drawn from (x itself, or what the batch iterator
            in ``net_params`` turns into x).
        y_encoded : ndarray of shape (n_samples,)
            Class indices, -1 for unlabelled rows.
        callbacks : sequence of skorch callbacks, default=()
            The estimator's own callbacks (validation).
        **net_params
            Extra parameters of the skorch net (a batch iterator, say).
        """
        if self.n_labelled_per_batch is not None and self.n_labelled_per_batch >= self.batch_size:
            raise ValueError(
                f"n_labelled_per_batch={self.n_labelled_per_batch} leaves no room for "
                f"unlabelled rows in batch_size={self.batch_size}; it must be smaller."
            )
        self._warn_if_labelled_rows_unseen(y_encoded)
        self._fit_net(X, y_encoded, callbacks=callbacks,
                      iterator_train__n_labelled_per_batch=self.n_labelled_per_batch,
                      **net_params)

    def _warn_if_labelled_rows_unseen(self, y_encoded):
        """Warn where ``n_labelled_per_batch`` deals fewer labelled rows an epoch than exist.

        An epoch is one pass over the unlabelled rows, so with many labels a fixed count per
        batch leaves most labelled rows out of each epoch, and q(y|x) learns from a fraction
        of them: CIFAR-10's 45,000 training rows with 25,000 labels, batches of 256 with 32
        labelled rows, show each labelled row 3.5 times in 30 epochs. Warns from the main
        process only under an ``accelerator``.

        Parameters
        ----------
        y_encoded : ndarray of shape (n_samples,)
            Class indices of the training rows, -1 for unlabelled ones (held-out validation
            rows included).
        """
        k = self.n_labelled_per_batch
        n_labelled = int(np.count_nonzero(y_encoded >= 0))
        if k is None or n_labelled == 0:
            return
        if self.accelerator is not None and not self.accelerator.is_main_process:
            return
        n_batches, dealt = epoch_plan(n_labelled, len(y_encoded) - n_labelled,
                                      self.batch_size, k)
        if dealt < n_labelled:
            warn_user(
                f"n_labelled_per_batch={k} over {n_batches} batches an epoch deals only "
                f"{dealt} of the {n_labelled} labelled training rows ({dealt / n_labelled:.0%}) "
                f"each epoch. n_labelled_per_batch=None deals every labelled row once an epoch."
            )

    def _warn_if_one_class(self, X, y_encoded):
        """Warn where q(y|x) gives every labelled training row the same class.

        That is the classifier collapsing: the unlabelled term can be served nearly as well by
        a q(y|x) that ignores x, the decoder modelling x from z alone, and a labelled term too
        weak (a low ``alpha``) does not pull it back. Its accuracy is then that of one class.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The checked training rows, as ``predict`` takes them.
        y_encoded : ndarray of shape (n_samples,)
            Class indices, -1 for unlabelled rows; ``encode_semi_supervised`` has checked
            that the labelled rows hold at least two classes.
        """
        predicted = np.unique(self.predict(X[y_encoded >= 0]))
        if len(predicted) == 1:
            warn_user(
                f"q(y|x) gives every labelled training row the class "
                f"{predicted.tolist()[0]!r}: the classifier has collapsed to one class. A "
                f"larger alpha (now {self.alpha}) weights the labelled rows more; a smaller "
                f"learning_rate or another random_state may also avoid it."
            )

    def _net_params(self, labelled_fraction):
        return {
            "module": M2Module,
            "module__n_features": self._m2_input_size(),
            "module__n_classes": len(self.classes_),
            "module__latent_dim": self.latent_dim,
            "module__hidden_sizes": self._check_hidden_sizes(),
            "module__activation": self.activation,
            "module__likelihood": self.likelihood_,
            **self._m2_network_params(),
            "criterion": M2Objective,
            "criterion__alpha": self.alpha,
            "criterion__labelled_fraction": labelled_fraction,
        }

    def _m2_input_size(self):
        """Size of x as M2's networks see it."""
        return self.n_features_in_

    def _m2_network_params(self):
        """The module's networks and image shape."""
        classifier_network = self.classifier_network or self.network
        return {**self._network_params(self.n_features_in_, classifier_network),
                "module__classifier_network": classifier_network}

    def predict_proba(self, X):
        """Class probabilities q(y|x).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        logits = self._map_batches(X, lambda module, x: module(x))
        return softmax(logits.astype(np.float64), axis=1)

    def transform(self, X):
        """Latent posterior means, E[z] under q(z|x) = sum_y q(y|x) q(z|x,y).

        For M2, z is the part of x that the class does not explain (the "style"); its
        posterior depends on y, so this averages mu(x,y) over the classes with the weights
        q(y|x).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
        """
        return self._map_batches(X, lambda module, x: module.latent_mean(x))

    def score_samples(self, X):
        """Evidence lower bound of log p(x) per row, with the class marginalised: -U(x).

        A one-sample reparameterised estimate; the same noise is used for every row and every
        call, so the result is deterministic and does not depend on how rows are batched.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        eps = self._score_noise()

        def bound(module, x):
            return -module.unlabelled_bound(x, eps=eps.to(x.device))[0]

        return self._map_batches(X, bound)

    def sample(self, n_samples=1, y=None, random_state=None):
        """Generate rows: y uniform (or given), z ~ N(0, I), x the mean of p(x|y,z).

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows.
        y : array-like of shape (n_samples,) or a single label, default=None
            Classes to generate, from ``classes_``; drawn uniformly when None.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws of y and z.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Means of p(x|y,z) (for Bernoulli, pixel probabilities).
        y : ndarray of shape (n_samples,)
            The class of each row.
        """
        generator = self._sampling_generator(n_samples, random_state)
        if y is None:
            y_index = torch.randint(len(self.classes_), (n_samples,), generator=generator)
        else:
            y_index = torch.as_tensor(self._class_indices(y, n_samples))
        z = torch.randn(n_samples, self.latent_dim, generator=generator)
        module = self.net_.module_
        self.net_._set_training(False)
        with torch.no_grad():
            device = self.net_.compute_device()
            X = module.generate(z.to(device), y_index.to(device)).cpu().numpy()
        return X, self.classes_[y_index.numpy()]

    def _class_indices(self, y, n_samples):
        """Indices into classes_ of the labels ``y`` (one label or n_samples of them)."""
        y = np.asarray(y, dtype=object)
        labels = [y.item()] * n_samples if y.ndim == 0 else y.tolist()
        if len(labels) != n_samples:
            raise ValueError(f"y has {len(labels)} labels but n_samples is {n_samples}.")
        index_of = {label: i for i, label in enumerate(self.classes_.tolist())}
        unknown = [label for label in labels if label not in index_of]
        if unknown:
            raise ValueError(
                f"y holds labels not in classes_ {self.classes_.tolist()}: {unknown[:10]}."
            )
        return np.array([index_of[label] for label in labels])
