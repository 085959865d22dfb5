"""M1Classifier: a VAE on every row, and a classifier on the labelled rows' latent means."""


import numpy as np
import torch
from sklearn.base import _fit_context, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.semi_supervised import LabelPropagation, LabelSpreading, SelfTrainingClassifier
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from ._base import BaseSemiSupervisedVAE, unfitted_on_error
from ._likelihoods import resolve_likelihood
from ._loss import VAEObjective
from ._models import M1Module
from ._net import as_float_tensor
from ._validation import UNLABELLED, encode_semi_supervised


def _latent_mean(module, x):
    return module(x)


def is_semi_supervised(estimator):
    """Whether ``estimator`` (or a Pipeline's last step) learns from rows labelled -1."""
    if isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    return isinstance(
        estimator,
        (LabelPropagation, LabelSpreading, SelfTrainingClassifier, BaseSemiSupervisedVAE),
    )


class M1Classifier(BaseSemiSupervisedVAE):
    """Semi-supervised classifier with the M1 model (Kingma et al., 2014).

    A VAE (p(z) = N(0, I), p(x|z) = the likelihood on decoder(z), q(z|x) = N(mu(x),
    diag sigma^2(x))) is trained on every row, labelled or not, by minimising the negative
    ELBO -E_q[log p(x|z)] + KL(q(z|x) || p(z)). A second, ordinary classifier is then fitted on
    the latent means mu(x) of the labelled rows; a semi-supervised one (LabelSpreading, say)
    receives every row, with -1 for the unlabelled ones.

    Parameters
    ----------
    latent_dim : int, default=50
        Size of z.
    hidden_sizes : tuple of int, default=(500, 500)
        Hidden layers of the encoder and (reversed) the decoder.
    activation : {'relu', 'softplus'}, default='relu'
        Of the dense hidden layers (convolutional layers stay ReLU); Kingma's networks used
        softplus.
    classifier : classifier or None, default=None
        Fitted on the latent means; cloned. None uses
        ``LogisticRegression(C=1.0, max_iter=1000)``: with few labels in a 50-dimensional
        space a flexible classifier overfits, while an L2-regularised linear one has few
        effective parameters, needs no kernel width or neighbour count to tune (which a handful
        of labels cannot select), gives calibrated ``predict_proba``, and suits latent means
        that the N(0, I) prior already puts on a common scale.
    network : {'mlp', 'cnn'}, default='mlp'
        'mlp' builds every network from dense layers. 'cnn' uses the seed blog's CNNs for
        image rows (see ``image_shape``): three conv layers with batch norm before the
        encoder's dense layers (``hidden_sizes``), transposed convolutions after the
        decoder's.
    image_shape : tuple of int or None, default=None
        With ``network='cnn'``, how each row unflattens: (height, width) or (height, width,
        channels), channels last, as ``images.reshape(n, -1)`` flattens it. Height and width
        must be multiples of 4. Needed by ``augment``'s shifts too.
    augment : {'binarize', 'shift', 'flip_shift'} or None, default=None
        Data augmentation while training the VAE, every batch drawn afresh: 'binarize'
        redraws each value of X (in [0, 1]) as 1 with probability the value, as Kingma's M1
        trained on MNIST (dynamic binarisation; X outside [0, 1] raises a ValueError);
        'shift' shifts images (``image_shape``) by up to a tenth of their size, and
        'flip_shift' also flips half of them left to right, as in :class:`M2Classifier`.
        The latent means that the classifier is fitted on, and that ``transform`` gives,
        are those of X as given. None trains on X as given.
    likelihood : {'auto', 'bernoulli', 'gaussian', 'gaussian_heteroscedastic'}, \
default='auto'
        p(x|z); 'auto' is Bernoulli when every value of X lies in [0, 1], else 'gaussian'
        (a learnt scale per feature). 'gaussian_heteroscedastic' has the decoder give a
        scale for every row and feature (as Kingma's Gaussian does).
    max_epochs : int, default=100
        Passes over the data when training the VAE.
    batch_size : int, default=256
        Rows per minibatch.
    learning_rate : float, default=1e-3
        Adam's step size.
    precision : {'float32', 'bfloat16'}, default='float32'
        'bfloat16' trains with bfloat16 matrix products under ``torch.autocast`` (weights,
        optimiser state and loss sums stay float32), with rounding that differs from
        float32. Faster on GPUs and on some CPUs with native bfloat16 products, slower on
        others, and several times slower where the CPU emulates them (``fit`` warns there);
        ``benchmarks/speed.py`` measures both on a machine. Prediction is always float32.
    device : str or torch.device, default='auto'
        Torch device; 'auto' uses CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order and the reparameterisation noise.
    verbose : int, default=0
        0 silent; 1 a table per epoch with the loss terms; 2 also a progress bar.
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
        The trained VAE; ``net_.module_`` holds its networks.
    classifier_ : classifier
        The fitted classifier on the latent means, trained on class indices
        (``classes_[i]`` is class i).

    See Also
    --------
    M2Classifier : The model with the class as a latent variable.

    References
    ----------
    D. P. Kingma, D. J. Rezende, S. Mohamed, M. Welling. "Semi-supervised Learning with Deep
    Generative Models". NeurIPS 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_moons
    >>> from sklearn_ssvae import M1Classifier
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> y_semi = np.where(np.arange(200) < 20, y, -1)
    >>> clf = M1Classifier(latent_dim=2, hidden_sizes=(32,), max_epochs=3,
    ...                    random_state=0).fit(X, y_semi)
    >>> clf.transform(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        **BaseSemiSupervisedVAE._parameter_constraints,
        "classifier": [HasMethods(["fit", "predict_proba"]), None],
    }

    def __init__(
        self,
        *,
        latent_dim=50,
        hidden_sizes=(500, 500),
        activation="relu",
        classifier=None,
        network="mlp",
        image_shape=None,
        augment=None,
        likelihood="auto",
        max_epochs=100,
        batch_size=256,
        learning_rate=1e-3,
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
        self.classifier = classifier
        self.network = network
        self.image_shape = image_shape
        self.augment = augment
        self.likelihood = likelihood
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.accelerator = accelerator

    @_fit_context(prefer_skip_nested_validation=False)
    @unfitted_on_error
    def fit(self, X, y):
        """Train the VAE on every row, then the classifier on the latent means.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, -1 for unlabelled rows.

        Returns
        -------
        self : M1Classifier
        """
        X, y = self._validate_Xy(X, y)
        self.classes_, y_encoded = encode_semi_supervised(y)
        self.likelihood_ = resolve_likelihood(self.likelihood, X)
        self._fit_net(X, y_encoded, **self._augmentation_params(X))
        # X is checked already: encode it without transform's second validation pass.
        Z = self.net_.map_batches(as_float_tensor(X, "cpu"), _latent_mean)
        classifier = self.classifier
        if classifier is None:
            classifier = LogisticRegression(C=1.0, max_iter=1000)
        self.classifier_ = clone(classifier)
        if is_semi_supervised(self.classifier_):
            self.classifier_.fit(Z, y_encoded)
        else:
            labelled = y_encoded != UNLABELLED
            self.classifier_.fit(Z[labelled], y_encoded[labelled])
        return self

    def _net_params(self, labelled_fraction):
        return {
            "module": M1Module,
            "module__n_features": self.n_features_in_,
            "module__latent_dim": self.latent_dim,
            "module__hidden_sizes": self._check_hidden_sizes(),
            "module__activation": self.activation,
            "module__likelihood": self.likelihood_,
            **self._network_params(self.n_features_in_),
            "criterion": VAEObjective,
        }

    def transform(self, X):
        """Latent means, the mean of q(z|x).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
        """
        return self._map_batches(X, _latent_mean)

    def inverse_transform(self, Z):
        """Decode latent points to data space: the mean of p(x|z).

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = torch.as_tensor(np.asarray(Z, dtype=np.float32))
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim:
            raise ValueError(
                f"Z must have shape (n_samples, {self.latent_dim}); got {tuple(Z.shape)}."
            )
        return self.net_.map_batches(Z, lambda module, z: module.generate(z))

    def predict_proba(self, X):
        """Class probabilities of the classifier on the latent means.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        Z = self.transform(X)  # checks that the model is fitted
        return self.classifier_.predict_proba(Z)

    def score_samples(self, X):
        """Evidence lower bound of log p(x) per row (one-sample estimate, fixed noise).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        eps = self._score_noise()

        def bound(module, x):
            reconstruction, kl = module.neg_elbo_terms(x, eps=eps.to(x.device))
            return -(reconstruction + kl)

        return self._map_batches(X, bound)

    def sample(self, n_samples=1, random_state=None):
        """Generate rows: z ~ N(0, I), x the mean of p(x|z), y the classifier's label.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seeds the draw of z.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            ``predict`` of the generated rows.
        """
        generator = self._sampling_generator(n_samples, random_state)
        Z = torch.randn(n_samples, self.latent_dim, generator=generator)
        X = self.inverse_transform(Z.numpy())
        return X, self.predict(X)
