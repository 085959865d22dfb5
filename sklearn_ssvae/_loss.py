"""Training objectives: M1's negative ELBO, and M2's (Kingma et al. 2014, eq. 9).

Each objective is a module called as ``objective(module, x, y)`` that returns the loss and a
dict of its parts, named in the class attribute ``parts`` (the columns of the epoch table).

M2, per training row.

With N training rows of which N_l are labelled, Kingma's objective is

    J = sum_labelled L(x,y) + sum_unlabelled U(x) + alpha_K * sum_labelled -log q(y|x),
    alpha_K = alpha * N,

divided by N (his code's normalisation). Per row that is

    J / N = (N_l/N) mean_labelled L + (N_u/N) mean_unlabelled U
            + alpha * mean_labelled -log q(y|x),

which is what one minibatch estimates: each group's mean over the rows of that group in the
batch, weighted by the group's share of the whole training set. The estimate stays unbiased
however the labelled rows are spread over batches, and a batch without labelled (or unlabelled)
rows leaves that group's terms out instead of taking the mean of nothing (NaN).
"""

import torch.nn.functional as F
from torch import nn

from ._likelihoods import full_precision


def group_mean(values, total=None):
    """Mean of ``values``, or their sum over ``total`` rows when a total is given.

    A data-parallel process holds a share of each batch; dividing its sums by the whole batch's
    group counts (over the number of processes) makes the processes' average the batch's mean.
    """
    return values.mean() if total is None else values.sum() / total


class M2Objective(nn.Module):
    """Negative M2 objective per training row, with its parts.

    Parameters
    ----------
    alpha : float
        Weight of the classification term, relative to one row's ELBO; Kingma's 0.1.
    labelled_fraction : float
        N_l / N over the whole training set.
    """

    parts = ("reconstruction", "kl", "classification", "labelled_accuracy")

    def __init__(self, alpha, labelled_fraction):
        super().__init__()
        self.alpha = alpha
        self.labelled_fraction = labelled_fraction

    def forward(self, module, x, y, group_totals=None):
        """Evaluate the objective on one batch.

        Parameters
        ----------
        module : M2Module
        x : torch.Tensor of shape (n, n_features)
        y : torch.LongTensor of shape (n,)
            Class index, or -1 for an unlabelled row.
        group_totals : torch.Tensor of shape (2,) or None, default=None
            Labelled and unlabelled rows that each group's terms are averaged over (see
            ``group_mean``); None: this batch's own.

        Returns
        -------
        loss : torch.Tensor, scalar
        parts : dict of str to torch.Tensor
            'reconstruction' and 'kl' (per row, as weighted in the loss), 'classification'
            (mean -log q(y|x) over labelled rows) and 'labelled_accuracy'.
        """
        labelled = y >= 0
        n_l, n_u = (None, None) if group_totals is None else group_totals
        zero = x.new_zeros(())
        loss, reconstruction, kl = zero, zero, zero
        classification, accuracy = zero, zero
        if labelled.any():
            x_l, y_l = x[labelled], y[labelled]
            rec_l, kl_l = module.neg_elbo_terms(x_l, y_l)
            L = rec_l + kl_l + module.neg_log_prior_y()
            logits = full_precision(module(x_l))
            classification = group_mean(F.cross_entropy(logits, y_l, reduction="none"), n_l)
            accuracy = (logits.argmax(-1) == y_l).float().mean()
            f = self.labelled_fraction
            loss = loss + f * group_mean(L, n_l) + self.alpha * classification
            reconstruction = reconstruction + f * group_mean(rec_l, n_l)
            kl = kl + f * group_mean(kl_l, n_l)
        if not labelled.all():
            U, rec_u, kl_u = module.unlabelled_bound(x[~labelled])
            f = 1.0 - self.labelled_fraction
            loss = loss + f * group_mean(U, n_u)
            reconstruction = reconstruction + f * group_mean(rec_u, n_u)
            kl = kl + f * group_mean(kl_u, n_u)
        parts = {
            "reconstruction": reconstruction,
            "kl": kl,
            "classification": classification,
            "labelled_accuracy": accuracy,
        }
        return loss, parts


class VAEObjective(nn.Module):
    """Negative ELBO of a VAE (M1) per row: -E_q(z|x)[log p(x|z)] + KL(q(z|x) || p(z)).

    The labels play no part: M1 learns from every row alike.
    """

    parts = ("reconstruction", "kl")

    def forward(self, module, x, y=None, group_totals=None):
        """Evaluate the objective on one batch; ``y`` is ignored.

        ``group_totals`` (labelled and unlabelled rows, as for ``M2Objective``): the terms are
        averaged over their sum; None: over this batch's rows.
        """
        n = None if group_totals is None else group_totals.sum()
        reconstruction, kl = module.neg_elbo_terms(x)
        loss = group_mean(reconstruction + kl, n)
        return loss, {"reconstruction": group_mean(reconstruction, n),
                      "kl": group_mean(kl, n)}
