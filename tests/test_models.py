"""The M2 module's loss terms against independent computations."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import distributions as D

from sklearn_ssvae._likelihoods import (
    RAW_UNIT_SCALE,
    BernoulliLikelihood,
    GaussianLikelihood,
    HeteroscedasticGaussianLikelihood,
)
from sklearn_ssvae._models import M2Module, kl_standard_normal
from sklearn_ssvae._networks import ConditionalMLP

N_ROWS, N_FEATURES, N_CLASSES, LATENT_DIM = 7, 5, 4, 3


@pytest.fixture
def module():
    torch.manual_seed(0)
    return M2Module(N_FEATURES, N_CLASSES, LATENT_DIM, (16, 8), "gaussian").double()


@pytest.fixture
def x():
    return torch.randn(N_ROWS, N_FEATURES, generator=torch.Generator().manual_seed(1)).double()


def test_kl_matches_monte_carlo():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(4, LATENT_DIM, generator=generator).double()
    logvar = torch.randn(4, LATENT_DIM, generator=generator).double()
    q = D.Normal(mu, torch.exp(0.5 * logvar))
    p = D.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    z = q.sample((400_000,))
    monte_carlo = (q.log_prob(z) - p.log_prob(z)).sum(-1).mean(0)
    torch.testing.assert_close(kl_standard_normal(mu, logvar), monte_carlo, atol=0.02, rtol=0.01)


def test_conditional_mlp_is_an_mlp_on_input_and_onehot():
    torch.manual_seed(0)
    net = ConditionalMLP(N_FEATURES, N_CLASSES, (6,), 2).double()
    first = torch.nn.Linear(N_FEATURES + N_CLASSES, 6).double()
    with torch.no_grad():
        first.weight.copy_(torch.cat([net.input.weight, net.class_embedding.weight.T], dim=1))
        first.bias.copy_(net.input.bias)
    u = torch.randn(N_ROWS, N_FEATURES).double()
    y = torch.arange(N_ROWS) % N_CLASSES
    expected = net.head(first(torch.cat([u, F.one_hot(y, N_CLASSES).double()], dim=1)))
    torch.testing.assert_close(net(u, y), expected)


def test_bernoulli_log_prob_matches_torch_distribution():
    logits = torch.randn(N_ROWS, N_FEATURES).double()
    x = torch.rand(N_ROWS, N_FEATURES).round().double()
    expected = D.Bernoulli(logits=logits).log_prob(x).sum(-1)
    torch.testing.assert_close(BernoulliLikelihood().log_prob(x, logits), expected)


@pytest.mark.parametrize("x_shape, logits_shape", [
    ((N_ROWS, N_FEATURES), (N_ROWS, N_FEATURES)),
    ((N_ROWS, 1, N_FEATURES), (N_ROWS, N_CLASSES, N_FEATURES)),  # x broadcast over classes
])
def test_bernoulli_log_prob_gradients_match_autograd(x_shape, logits_shape):
    """The hand-written backward against torch's own, for the logits and for x."""
    generator = torch.Generator().manual_seed(2)
    logits = (5 * torch.randn(logits_shape, generator=generator)).double().requires_grad_()
    x = torch.rand(x_shape, generator=generator).double().requires_grad_()
    assert torch.autograd.gradcheck(BernoulliLikelihood().log_prob, (x, logits))
    weights = torch.randn(logits_shape[:-1], generator=generator).double()
    ours = torch.autograd.grad((BernoulliLikelihood().log_prob(x, logits) * weights).sum(),
                               (x, logits))
    expected = -F.binary_cross_entropy_with_logits(logits, x.expand(logits_shape),
                                                   reduction="none").sum(-1)
    theirs = torch.autograd.grad((expected * weights).sum(), (x, logits))
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b)


def test_bernoulli_log_prob_of_bfloat16_logits_is_summed_in_float32():
    """Under bfloat16 autocast the decoder's logits are bfloat16 and x is float32 data."""
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(N_ROWS, N_CLASSES, 784, generator=generator).bfloat16().requires_grad_()
    x = torch.rand(N_ROWS, 1, 784, generator=generator).round()
    value = BernoulliLikelihood().log_prob(x, logits)
    assert value.dtype == torch.float32
    (grad,) = torch.autograd.grad(value.sum(), logits)
    reference = logits.detach().float().requires_grad_()
    expected = -F.binary_cross_entropy_with_logits(reference, x.expand_as(reference),
                                                   reduction="none").sum(-1)
    torch.testing.assert_close(value, expected)
    (expected_grad,) = torch.autograd.grad(expected.sum(), reference)
    assert grad.dtype == torch.bfloat16
    torch.testing.assert_close(grad, expected_grad.bfloat16())


def test_gaussian_log_prob_matches_torch_distribution():
    likelihood = GaussianLikelihood(N_FEATURES).double()
    with torch.no_grad():
        likelihood.raw_scale.uniform_(-2, 2)
    mean, x = torch.randn(2, N_ROWS, N_FEATURES).double()
    expected = D.Normal(mean, likelihood.scale()).log_prob(x).sum(-1)
    torch.testing.assert_close(likelihood.log_prob(x, mean), expected)


def test_heteroscedastic_gaussian_reads_a_mean_and_a_scale_per_row_from_the_decoder():
    likelihood = HeteroscedasticGaussianLikelihood()
    mean, raw_scale, x = torch.randn(3, N_ROWS, N_FEATURES).double()
    params = torch.cat([mean, raw_scale], dim=-1)
    scale = F.softplus(raw_scale + RAW_UNIT_SCALE) + likelihood.min_scale
    expected = D.Normal(mean, scale).log_prob(x).sum(-1)
    torch.testing.assert_close(likelihood.log_prob(x, params), expected)
    torch.testing.assert_close(likelihood.mean(params), mean)
    # A zero output is a unit scale.
    _, unit = likelihood.split(torch.zeros(1, 2 * N_FEATURES))
    torch.testing.assert_close(unit, torch.ones(1, N_FEATURES), atol=2e-3, rtol=0)


def test_heteroscedastic_m2_decoder_gives_both_blocks_for_every_class(x):
    torch.manual_seed(0)
    module = M2Module(N_FEATURES, N_CLASSES, LATENT_DIM, (16,), "gaussian_heteroscedastic")
    module = module.double()
    assert module.decoder(torch.zeros(N_ROWS, N_CLASSES, LATENT_DIM).double()).shape == (
        N_ROWS, N_CLASSES, 2 * N_FEATURES)
    reconstruction, kl = module.neg_elbo_terms(x)
    assert reconstruction.shape == kl.shape == (N_ROWS, N_CLASSES)
    assert torch.isfinite(reconstruction).all()


def test_enumeration_matches_a_loop_over_classes(module, x):
    eps = torch.randn(N_ROWS, N_CLASSES, LATENT_DIM).double()
    reconstruction, kl = module.neg_elbo_terms(x, None, eps)
    assert reconstruction.shape == kl.shape == (N_ROWS, N_CLASSES)
    for k in range(N_CLASSES):
        y = torch.full((N_ROWS,), k)
        rec_k, kl_k = module.neg_elbo_terms(x, y, eps[:, k])
        torch.testing.assert_close(reconstruction[:, k], rec_k)
        torch.testing.assert_close(kl[:, k], kl_k)


def test_unlabelled_bound_is_expected_L_minus_entropy(module, x):
    eps = torch.randn(N_ROWS, N_CLASSES, LATENT_DIM).double()
    U, _, _ = module.unlabelled_bound(x, eps)
    q = F.softmax(module.encoder_y(x), dim=-1)
    expected = torch.zeros(N_ROWS).double()
    for k in range(N_CLASSES):
        rec, kl = module.neg_elbo_terms(x, torch.full((N_ROWS,), k), eps[:, k])
        L = rec + kl + math.log(N_CLASSES)
        expected += q[:, k] * L
    expected -= D.Categorical(probs=q).entropy()
    torch.testing.assert_close(U, expected)


def test_neg_elbo_uses_the_reparameterised_sample(module, x):
    """With noise eps, the reconstruction is evaluated at z = mu + eps * sigma."""
    y = torch.arange(N_ROWS) % N_CLASSES
    eps = torch.randn(N_ROWS, LATENT_DIM).double()
    mu, logvar = module.encode_z(x, y)
    z = mu + eps * torch.exp(0.5 * logvar)
    x_mean = module.decoder(z, y)
    expected = -D.Normal(x_mean, module.likelihood.scale()).log_prob(x).sum(-1)
    reconstruction, _ = module.neg_elbo_terms(x, y, eps)
    torch.testing.assert_close(reconstruction, expected)


def test_classifier_inputs_of_its_own_feed_q_y_alone(x):
    """M1+M2 with q(y|image): rows are [z1, u]; u goes to q(y|.) and nothing else."""
    torch.manual_seed(0)
    n_u = 6
    module = M2Module(N_FEATURES, N_CLASSES, LATENT_DIM, (16, 8), "gaussian",
                      n_classifier_inputs=n_u).double()
    u = torch.randn(N_ROWS, n_u, generator=torch.Generator().manual_seed(2)).double()
    rows = torch.cat([x, u], dim=1)
    torch.testing.assert_close(module(rows), module.encoder_y(u))
    eps = torch.randn(N_ROWS, N_CLASSES, LATENT_DIM, generator=torch.Generator().manual_seed(3))
    eps = eps.double()
    # Changing u changes q(y|.) but not L(x, y), which models the first N_FEATURES columns.
    other = torch.cat([x, u + 1.0], dim=1)
    for terms, terms_other in zip(module.neg_elbo_terms(rows, None, eps),
                                  module.neg_elbo_terms(other, None, eps), strict=True):
        torch.testing.assert_close(terms, terms_other)
    reconstruction, kl = module.neg_elbo_terms(rows, None, eps)
    log_q = F.log_softmax(module.encoder_y(u), dim=-1)
    expected = (log_q.exp() * (reconstruction + kl + math.log(N_CLASSES) + log_q)).sum(-1)
    torch.testing.assert_close(module.unlabelled_bound(rows, eps)[0], expected)
