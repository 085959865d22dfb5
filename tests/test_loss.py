"""The M2 objective: its weighting of the terms, and batches missing a group."""

import math

import pytest
import torch
import torch.nn.functional as F

from sklearn_ssvae._loss import M2Objective
from sklearn_ssvae._models import M2Module

N_FEATURES, N_CLASSES, LATENT_DIM = 6, 3, 2


@pytest.fixture
def module():
    torch.manual_seed(0)
    return M2Module(N_FEATURES, N_CLASSES, LATENT_DIM, (16,), "bernoulli").double()


def batch(n_labelled, n_unlabelled):
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(n_labelled + n_unlabelled, N_FEATURES, generator=generator).double()
    y = torch.cat([torch.arange(n_labelled) % N_CLASSES, torch.full((n_unlabelled,), -1)])
    return x, y


def test_objective_is_the_weighted_sum_of_its_terms(module):
    alpha, fraction = 0.3, 0.2
    x, y = batch(4, 6)
    torch.manual_seed(5)
    loss, parts = M2Objective(alpha, fraction)(module, x, y)

    torch.manual_seed(5)  # the same noise, drawn in the same order
    rec_l, kl_l = module.neg_elbo_terms(x[:4], y[:4])
    U, _, _ = module.unlabelled_bound(x[4:])
    L = rec_l + kl_l + math.log(N_CLASSES)
    classification = F.cross_entropy(module.encoder_y(x[:4]), y[:4])
    expected = fraction * L.mean() + (1 - fraction) * U.mean() + alpha * classification
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(parts["classification"], classification)


@pytest.mark.parametrize("n_labelled, n_unlabelled", [(0, 5), (5, 0), (1, 0), (0, 1)])
def test_batch_missing_a_group_gives_finite_loss_and_gradients(module, n_labelled, n_unlabelled):
    x, y = batch(n_labelled, n_unlabelled)
    loss, parts = M2Objective(0.1, 0.5)(module, x, y)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(v) for v in parts.values())
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_alpha_only_scales_the_classification_term(module):
    x, y = batch(4, 4)
    losses = []
    for alpha in (0.0, 1.0):
        torch.manual_seed(3)
        losses.append(M2Objective(alpha, 0.5)(module, x, y))
    (loss0, _), (loss1, parts1) = losses
    torch.testing.assert_close(loss1 - loss0, parts1["classification"])


class NoiselessM2(M2Module):
    """M2 with z at the posterior mean (eps = 0): the objective is a function of the weights."""

    def neg_elbo_terms(self, x, y=None, eps=None):
        return super().neg_elbo_terms(x, y, eps=torch.zeros(LATENT_DIM, dtype=x.dtype))


@pytest.mark.parametrize("n_labelled, n_unlabelled", [(1, 9), (4, 7), (5, 0)])
@pytest.mark.parametrize("n_shards", [2, 3])
def test_shares_with_the_batch_group_totals_average_to_the_batch_objective(
        n_labelled, n_unlabelled, n_shards):
    # Data-parallel training: each process computes the objective on every n_shards-th row
    # with the whole batch's group counts (over n_shards), and DDP averages the gradients.
    # The average of the shares' objectives must be the whole batch's, even when one share
    # holds every labelled row (1 labelled row) or none.
    torch.manual_seed(0)
    model = NoiselessM2(N_FEATURES, N_CLASSES, LATENT_DIM, (16,), "bernoulli").double()
    objective = M2Objective(alpha=0.3, labelled_fraction=0.2)
    x, y = batch(n_labelled, n_unlabelled)
    whole, _ = objective(model, x, y)
    totals = torch.tensor([n_labelled, n_unlabelled], dtype=torch.float64) / n_shards
    shares = [objective(model, x[k::n_shards], y[k::n_shards], totals)[0]
              for k in range(n_shards)]
    torch.testing.assert_close(torch.stack(shares).mean(), whole)
    # Gradients too (the objective is linear in the shares).
    grads = [torch.autograd.grad(loss, list(model.parameters()), allow_unused=True)
             for loss in [whole, torch.stack(shares).mean()]]
    for g_whole, g_shares in zip(*grads, strict=True):
        if g_whole is not None:
            torch.testing.assert_close(g_shares, g_whole)
