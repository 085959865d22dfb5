"""The torch modules of the generative models.

M1 (Kingma et al. 2014, section 3.1.1), a VAE with a latent z of size d::

    p(z)   = N(0, I)
    p(x|z) = likelihood(decoder(z))
    q(z|x) = N(mu(x), diag(exp(logvar(x))))                 -- encoder(x)

M2 (Kingma et al. 2014, section 3.1.2), with K classes and a latent z of size d::

    p(y)     = Cat(1/K)
    p(z)     = N(0, I)
    p(x|y,z) = likelihood(decoder(z, y))
    q(y|x)   = Cat(softmax(encoder_y(x)))                   -- the classifier
    q(z|x,y) = N(mu(x,y), diag(exp(logvar(x,y))))           -- encoder_z(x, y)

In M1+M2, M2's x is M1's latent z1, and its classifier may see the image that z1 was drawn
from instead (``n_classifier_inputs``): q(y|image) with q(z2|z1,y) is as valid a posterior of
the stacked model as Kingma's q(y|z1).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._likelihoods import full_precision, make_likelihood
from ._networks import ConditionalMLP, encoder_y_network, image_parts, mlp


def kl_standard_normal(mu, logvar):
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) in closed form, summed over the last axis."""
    mu, logvar = full_precision(mu), full_precision(logvar)
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def reparameterise(mu, logvar, eps=None):
    """z = mu + eps * sigma, with eps ~ N(0, I) drawn afresh when not given."""
    if eps is None:
        eps = torch.randn_like(mu)
    return mu + eps * torch.exp(0.5 * logvar)


class M1Module(nn.Module):
    """M1's encoder, decoder and likelihood.

    Parameters
    ----------
    n_features : int
        Size of x.
    latent_dim : int
        Size of z.
    hidden_sizes : tuple of int
        Hidden layers of the encoder and (reversed) of the decoder.
    likelihood : {'bernoulli', 'gaussian', 'gaussian_heteroscedastic'}
        Observation model p(x|z).
    network : {'mlp', 'cnn'}, default='mlp'
        'cnn' puts the seed blog's convolutional trunk before the encoder's dense layers and
        its transposed convolutions after the decoder's.
    image_shape : tuple of int or None, default=None
        (height, width, channels) of each row, for 'cnn'.
    activation : {'relu', 'softplus'}, default='relu'
        Of the dense hidden layers.
    """

    def __init__(self, n_features, latent_dim, hidden_sizes, likelihood, network="mlp",
                 image_shape=None, activation="relu"):
        super().__init__()
        self.likelihood = make_likelihood(likelihood, n_features)
        trunk, n_trunk_out, tail, n_tail_in = image_parts(
            network, image_shape, n_features, self.likelihood.n_params)
        self.encoder = nn.Sequential(
            trunk, mlp(n_trunk_out, hidden_sizes, 2 * latent_dim, activation))
        self.decoder = nn.Sequential(
            mlp(latent_dim, tuple(reversed(hidden_sizes)), n_tail_in, activation), tail)

    def forward(self, x):
        """Mean of q(z|x)."""
        return self.encode(x)[0]

    def encode(self, x):
        """Mean and log-variance of q(z|x)."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def neg_elbo_terms(self, x, eps=None):
        """-log p(x|z) at one z ~ q(z|x), and KL(q(z|x) || p(z)), per row."""
        mu, logvar = self.encode(x)
        z = reparameterise(mu, logvar, eps)
        reconstruction = -self.likelihood.log_prob(x, self.decoder(z))
        return reconstruction, kl_standard_normal(mu, logvar)

    def generate(self, z):
        """Mean of p(x|z)."""
        return self.likelihood.mean(self.decoder(z))


class M2Module(nn.Module):
    """M2's three networks and its likelihood.

    Parameters
    ----------
    n_features : int
        Size of x.
    n_classes : int
        Number of classes K.
    latent_dim : int
        Size of z.
    hidden_sizes : tuple of int
        Hidden layers of each of the three networks.
    likelihood : {'bernoulli', 'gaussian', 'gaussian_heteroscedastic'}
        Observation model p(x|y,z).
    network : {'mlp', 'cnn'}, default='mlp'
        'cnn' uses the seed blog's networks: the Keras CIFAR-10 CNN for q(y|x), a
        convolutional trunk before q(z|x,y)'s dense layers, transposed convolutions after the
        decoder's.
    image_shape : tuple of int or None, default=None
        (height, width, channels) of each row, for 'cnn'.
    activation : {'relu', 'softplus'}, default='relu'
        Of the dense hidden layers.
    classifier_network : {'mlp', 'cnn'} or None, default=None
        The network of q(y|x) alone; None: ``network``.
    n_classifier_inputs : int, default=0
        0: q(y|x) sees x. Otherwise each row is ``[x, u]``, its last ``n_classifier_inputs``
        columns ``u`` the classifier's input alone (``image_shape`` is then u's), the first
        ``n_features`` the x that the rest of the model sees (M1+M2 with q(y|image)).
    """

    def __init__(self, n_features, n_classes, latent_dim, hidden_sizes, likelihood,
                 network="mlp", image_shape=None, activation="relu", classifier_network=None,
                 n_classifier_inputs=0):
        super().__init__()
        self.n_classes = n_classes
        self.n_features = n_features
        self.n_classifier_inputs = n_classifier_inputs
        self.encoder_y = encoder_y_network(
            classifier_network or network, image_shape, n_classifier_inputs or n_features,
            hidden_sizes, n_classes, activation)
        self.likelihood = make_likelihood(likelihood, n_features)
        trunk, n_trunk_out, tail, n_tail_in = image_parts(
            network, image_shape, n_features, self.likelihood.n_params)
        self.encoder_z = ConditionalMLP(n_trunk_out, n_classes, hidden_sizes, 2 * latent_dim,
                                        trunk=trunk, activation=activation)
        self.decoder = ConditionalMLP(latent_dim, n_classes, tuple(reversed(hidden_sizes)),
                                      n_tail_in, tail=tail, activation=activation)

    def forward(self, x):
        """Logits of q(y|x)."""
        return self.encoder_y(x[..., self.n_features:] if self.n_classifier_inputs else x)

    def modelled(self, x):
        """The part of each row that p(x|y,z) models: all of it unless the classifier has
        inputs of its own."""
        return x[..., : self.n_features]

    def encode_z(self, x, y=None):
        """Mean and log-variance of q(z|x,y); every class when ``y`` is None (axis 1)."""
        mu, logvar = self.encoder_z(x, y).chunk(2, dim=-1)
        return mu, logvar

    def neg_elbo_terms(self, x, y=None, eps=None):
        """The two parts of L(x,y) = -E_q(z|x,y)[log p(x|y,z)] + KL(q(z|x,y) || p(z)) - log p(y).

        Parameters
        ----------
        x : torch.Tensor of shape (n, n_features [+ n_classifier_inputs])
        y : torch.LongTensor of shape (n,), or None
            Class of each row; None enumerates all K classes.
        eps : torch.Tensor broadcastable to (n, [K,] latent_dim), or None
            Standard normal noise for the one-sample reparameterised estimate; drawn afresh
            when None.

        Returns
        -------
        reconstruction, kl : torch.Tensor of shape (n,), or (n, K) when ``y`` is None
            -log p(x|y,z) at one z ~ q(z|x,y), and the closed-form KL.
            L(x,y) is their sum plus log K (the constant -log p(y)).
        """
        x = self.modelled(x)
        mu, logvar = self.encode_z(x, y)
        z = reparameterise(mu, logvar, eps)
        x_params = self.decoder(z, y)
        if y is None:
            x = x.unsqueeze(1)
        reconstruction = -self.likelihood.log_prob(x, x_params)
        return reconstruction, kl_standard_normal(mu, logvar)

    def neg_log_prior_y(self):
        """-log p(y) = log K, the same for every class."""
        return math.log(self.n_classes)

    def unlabelled_bound(self, x, eps=None):
        """U(x) = sum_y q(y|x) L(x,y) - H(q(y|x)) per row, enumerating every class.

        Returns
        -------
        U, reconstruction, kl : torch.Tensor of shape (n,)
            The bound and its two parts averaged under q(y|x).
        """
        log_q = F.log_softmax(full_precision(self(x)), dim=-1)
        q = log_q.exp()
        reconstruction, kl = self.neg_elbo_terms(x, None, eps)
        L = reconstruction + kl + self.neg_log_prior_y()
        U = (q * (L + log_q)).sum(-1)
        return U, (q * reconstruction).sum(-1), (q * kl).sum(-1)

    def latent_mean(self, x):
        """E[z] under q(z|x) = sum_y q(y|x) q(z|x,y): the q(y|x)-weighted mean of mu(x,y)."""
        q = F.softmax(self(x), dim=-1)
        mu, _ = self.encode_z(self.modelled(x), None)
        return (q.unsqueeze(-1) * mu).sum(1)

    def generate(self, z, y):
        """Mean of p(x|y,z)."""
        return self.likelihood.mean(self.decoder(z, y))
