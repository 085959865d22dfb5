"""Observation models p(x|...) for the decoder's output.

A likelihood turns the decoder's raw output into a distribution over x: ``log_prob`` for the
reconstruction term of the ELBO, ``mean`` for generated data. ``n_params`` is the number of
decoder outputs it reads per feature. 'gaussian' keeps its per-feature scale as a learnt
parameter, so it lives in the model and moves, trains and pickles with it;
'gaussian_heteroscedastic' (Kingma's Gaussian p(x|.)) reads a scale per row and feature from
the decoder, as a second block of outputs after the means.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian_heteroscedastic")
RAW_UNIT_SCALE = 0.5413  # softplus(RAW_UNIT_SCALE) is 1 to 4 decimals: the raw scale of scale 1


def full_precision(t):
    """``t`` in float32 if it is in a narrower float type (bfloat16 autocast), else as it is.

    Loss terms sum hundreds of values per row; they are summed in float32 or wider even when
    the matrix products ran in bfloat16.
    """
    return t.float() if t.dtype in (torch.bfloat16, torch.float16) else t


class _BernoulliLogProb(torch.autograd.Function):
    """sum_d x_d l_d - softplus(l_d) over the last axis, with a hand-written backward.

    The gradient with respect to the logits is (x - sigmoid(l)) times the incoming gradient:
    one sigmoid and three in-place passes over the logits' shape, where autograd would run
    softplus's backward, the product's backward and their sum as separate full-size tensors.
    On M2's K-class decoder output (the largest tensor of its step) that is a few percent of
    the whole step on a CPU. The values are those of the plain expression. Its backward is
    not itself differentiable (no second derivatives, no forward-mode ``torch.func``); training
    needs neither.
    """

    @staticmethod
    def forward(ctx, x, logits):
        ctx.save_for_backward(x, logits)
        # logaddexp(l, 0) is softplus(l), computed exactly and faster than F.softplus on CPU.
        return (x * logits).sum(-1) - torch.logaddexp(logits, logits.new_zeros(())).sum(-1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        x, logits = ctx.saved_tensors
        grad = grad.unsqueeze(-1)
        grad_x = grad_logits = None
        if ctx.needs_input_grad[0]:
            grad_x = (grad * logits).sum_to_size(x.shape)
        if ctx.needs_input_grad[1]:
            # x broadcasts over the logits' class axis, never the other way round.
            grad_logits = torch.sigmoid(logits).neg_().add_(x).mul_(grad)
        return grad_x, grad_logits


class BernoulliLikelihood(nn.Module):
    """p(x|.) = Bernoulli(sigmoid(logits)) per feature, for data in [0, 1]."""

    n_params = 1

    def log_prob(self, x, logits):
        """Sum over features of log p(x|.), broadcasting ``x`` over leading class axes.

        log Bernoulli(x; sigmoid(l)) = x l - softplus(l), written out rather than through
        ``binary_cross_entropy_with_logits``, with a fused backward (``_BernoulliLogProb``).
        """
        return _BernoulliLogProb.apply(x, full_precision(logits))

    def mean(self, logits):
        """Mean of p(x|.): the per-feature probability."""
        return torch.sigmoid(logits)


class GaussianLikelihood(nn.Module):
    """p(x|.) = N(mean, diag(scale^2)) with a learnt scale per feature.

    Parameters
    ----------
    n_features : int
        Number of features.
    min_scale : float, default=1e-3
        Floor on the scale, so that a constant feature cannot drive the density to infinity.
    """

    n_params = 1

    def __init__(self, n_features, min_scale=1e-3):
        super().__init__()
        self.min_scale = min_scale
        self.raw_scale = nn.Parameter(torch.full((n_features,), RAW_UNIT_SCALE))

    def scale(self):
        """Per-feature standard deviation."""
        return F.softplus(self.raw_scale) + self.min_scale

    def log_prob(self, x, mean):
        """Sum over features of log N(x; mean, scale^2), broadcasting over class axes."""
        return gaussian_log_prob(x, full_precision(mean), self.scale())

    def mean(self, mean):
        """Mean of p(x|.)."""
        return mean


class HeteroscedasticGaussianLikelihood(nn.Module):
    """p(x|.) = N(mean, diag(scale^2)) with mean and scale both given by the decoder.

    As in Kingma's code, where the M2 of M1+M2 models z1 this way, the decoder gives a
    spread for every row and feature; his output is a log-variance, ours a raw scale. The
    decoder's output for a row is ``[mean, raw_scale]``, n_features each, and the scale is
    ``softplus(raw_scale + RAW_UNIT_SCALE) + min_scale``: 1 at a zero output, and floored
    like :class:`GaussianLikelihood`'s (a log-variance has no floor).

    Parameters
    ----------
    min_scale : float, default=1e-3
        Floor on the scale.
    """

    n_params = 2

    def __init__(self, min_scale=1e-3):
        super().__init__()
        self.min_scale = min_scale

    def split(self, params):
        """Mean and scale from the decoder's output ``params`` (last axis 2 * n_features)."""
        mean, raw_scale = full_precision(params).chunk(2, dim=-1)
        return mean, F.softplus(raw_scale + RAW_UNIT_SCALE) + self.min_scale

    def log_prob(self, x, params):
        """Sum over features of log N(x; mean, scale^2), broadcasting over class axes."""
        return gaussian_log_prob(x, *self.split(params))

    def mean(self, params):
        """Mean of p(x|.)."""
        return self.split(params)[0]


def gaussian_log_prob(x, mean, scale):
    """Sum over the last axis of log N(x; mean, scale^2)."""
    return (
        -0.5 * ((x - mean) / scale) ** 2 - torch.log(scale) - 0.5 * math.log(2 * math.pi)
    ).sum(-1)


def resolve_likelihood(likelihood, X):
    """Choose the likelihood for data ``X`` and check that it fits the data.

    Parameters
    ----------
    likelihood : {'auto', 'bernoulli', 'gaussian', 'gaussian_heteroscedastic'}
        'auto' picks Bernoulli when every value lies in [0, 1], Gaussian otherwise.
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    str
        'bernoulli', 'gaussian' or 'gaussian_heteroscedastic'.
    """
    in_unit_interval = bool(np.min(X) >= 0 and np.max(X) <= 1)
    if likelihood == "auto":
        return "bernoulli" if in_unit_interval else "gaussian"
    if likelihood == "bernoulli" and not in_unit_interval:
        raise ValueError(
            "likelihood='bernoulli' needs every value of X in [0, 1]; got values in "
            f"[{np.min(X):.4g}, {np.max(X):.4g}]. Scale X into [0, 1] (for example "
            "MinMaxScaler) or use likelihood='gaussian'."
        )
    return likelihood


def make_likelihood(name, n_features):
    """Build the likelihood module called ``name`` for ``n_features`` features."""
    if name == "bernoulli":
        return BernoulliLikelihood()
    if name == "gaussian_heteroscedastic":
        return HeteroscedasticGaussianLikelihood()
    return GaussianLikelihood(n_features)
