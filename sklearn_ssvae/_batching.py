"""Minibatches sliced from tensors, with the labelled rows spread over every training batch.

The labelled set is often tiny (100 rows beside 60,000 unlabelled ones). Shuffled together,
most batches would hold no labelled row and the classifier q(y|x) would hardly be trained
(DESIGN.md, section 4). So each epoch shuffles the two groups apart and deals the labelled rows
out to every batch, as Kingma's code did.
"""

import math

import torch


def epoch_plan(n_labelled, n_unlabelled, batch_size, n_labelled_per_batch=None):
    """Batches in one training epoch of ``SemiSupervisedBatches``, and labelled rows dealt.

    Parameters
    ----------
    n_labelled, n_unlabelled : int
        Labelled and unlabelled training rows.
    batch_size : int
        Rows per batch.
    n_labelled_per_batch : int or None, default=None
        None: every row once, ``batch_size`` rows a batch, the labelled rows cycled when
        fewer than the batches. An int k: one pass over the unlabelled rows, ``batch_size -
        k`` a batch, and k labelled rows in each batch; without unlabelled rows, as many
        batches as None makes (each of k rows).

    Returns
    -------
    n_batches : int
        At least 1.
    n_dealt : int
        Labelled rows over all the batches of an epoch, repeats included: fewer than
        ``n_labelled`` when an int k leaves some labelled rows out of the epoch.
    """
    if n_labelled_per_batch is None or n_unlabelled == 0:
        n_batches = max(1, math.ceil((n_labelled + n_unlabelled) / batch_size))
    else:
        n_batches = max(1, math.ceil(n_unlabelled / (batch_size - n_labelled_per_batch)))
    if n_labelled_per_batch is None:
        return n_batches, max(n_labelled, n_batches) if n_labelled else 0
    return n_batches, n_labelled_per_batch * n_batches


class SemiSupervisedBatches:
    """Iterable of ``(X, y)`` minibatches over a skorch dataset holding tensors.

    It stands in for skorch's ``iterator_train`` and ``iterator_valid`` (skorch calls it as
    ``iterator(dataset, batch_size=...)``). Rows are gathered by tensor indexing on the
    tensors' own device: no per-row Python work, no collation.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Its ``X`` is a float tensor; its ``y`` a long tensor with -1 for unlabelled rows,
        or None.
    batch_size : int
        Rows per batch (the last batch may be smaller).
    training : bool, default=False
        False: the rows in order, for prediction. True: a fresh shuffle per epoch with the
        labelled rows spread over all batches.
    n_labelled_per_batch : int or None, default=None
        Only when training. None: the labelled rows are split evenly over the batches, each
        seen once per epoch; if there are fewer labelled rows than batches they are cycled so
        that every batch still holds one. An int: every batch holds that many labelled rows,
        cycling through the shuffled labelled set, and ``batch_size - n_labelled_per_batch``
        unlabelled rows.
    generator : torch.Generator or None, default=None
        Draws the shuffles (on the tensors' device); None uses torch's global generator.
    num_shards, shard_index : int, default=1 and 0
        Only when training: data-parallel training over ``num_shards`` processes, of which
        this is number ``shard_index``. Every process draws the same batches (a ``generator``
        seeded alike) and takes every ``num_shards``-th row of each, so that together they
        cover each batch exactly once.
    """

    def __init__(self, dataset, batch_size, training=False, n_labelled_per_batch=None,
                 generator=None, num_shards=1, shard_index=0):
        self.X = dataset.X
        self.y = dataset.y
        self.batch_size = batch_size
        self.training = training
        self.n_labelled_per_batch = n_labelled_per_batch
        self.generator = generator
        self.num_shards = num_shards
        self.shard_index = shard_index

    def __iter__(self):
        if not self.training:
            yield from self._prediction_batches()
            return
        for index in self._training_batches():
            index = index[self.shard_index :: self.num_shards]
            yield self.X[index], self.y[index]

    def __len__(self):
        if not self.training:
            return math.ceil(len(self.X) / self.batch_size)
        return self._batch_plan()[1]

    def _prediction_batches(self):
        """The rows in order, every batch padded to ``batch_size`` rows.

        A float32 matrix product may round a row differently depending on how many rows it
        is computed with; a fixed batch shape makes each row's result independent of the
        other rows passed (sklearn's check_methods_subset_invariance). The padding rows are
        copies of the batch's first row; ``map_batches`` drops their results.
        """
        for start in range(0, len(self.X), self.batch_size):
            X = self.X[start : start + self.batch_size]
            n_pad = self.batch_size - len(X)
            if n_pad:
                X = torch.cat([X, X[:1].expand(n_pad, *X.shape[1:])])
            yield X, None if self.y is None else self.y[start : start + self.batch_size]

    def _batch_plan(self):
        """Indices of the labelled and unlabelled rows, and ``epoch_plan``'s two counts."""
        device = self.X.device
        labelled = torch.nonzero(self.y >= 0).squeeze(1)
        unlabelled = torch.nonzero(self.y < 0).squeeze(1)
        n_batches, n_dealt = epoch_plan(len(labelled), len(unlabelled), self.batch_size,
                                        self.n_labelled_per_batch)
        return (labelled.to(device), unlabelled.to(device)), n_batches, n_dealt

    def _training_batches(self):
        (labelled, unlabelled), n_batches, n_dealt = self._batch_plan()
        device = self.X.device
        unlabelled = unlabelled[torch.randperm(len(unlabelled), device=device,
                                               generator=self.generator)]
        labelled = labelled[torch.randperm(len(labelled), device=device, generator=self.generator)]
        if len(labelled):
            # Cycle through the shuffled labelled rows when more are needed than exist.
            repeats = math.ceil(n_dealt / len(labelled))
            labelled = labelled.repeat(repeats)[:n_dealt]
        for lab, unlab in zip(
            torch.tensor_split(labelled, n_batches), torch.tensor_split(unlabelled, n_batches),
            strict=True,
        ):
            yield torch.cat([lab, unlab])


class ResampledLatentBatches(SemiSupervisedBatches):
    """Training batches of z1 ~ q(z1|x), drawn afresh for every batch (stacked M1+M2).

    The dataset's rows hold ``[mu, sigma]`` of M1's posterior q(z1|x), or ``[mu, sigma, u]``
    with ``u`` passed through as it is (the image, for a classifier that sees it); each batch
    yields ``mu + sigma * eps`` (and ``u``) with fresh standard normal ``eps``, as Kingma
    trained M2 on M1's latent space. Prediction batches (``training=False``) are not
    resampled.

    Parameters
    ----------
    dataset, batch_size, **kwargs
        As for :class:`SemiSupervisedBatches`.
    latent_dim : int
        Size of z1: the first ``latent_dim`` columns are mu, the next ``latent_dim`` sigma.
    """

    def __init__(self, dataset, batch_size, *, latent_dim, **kwargs):
        super().__init__(dataset, batch_size, **kwargs)
        self.latent_dim = latent_dim

    def __iter__(self):
        for X, y in super().__iter__():
            if self.training:
                d = self.latent_dim
                mu, sigma, u = X[:, :d], X[:, d : 2 * d], X[:, 2 * d :]
                X = torch.cat([mu + sigma * torch.randn_like(mu), u], dim=1)
            yield X, y


class AugmentedBatches(SemiSupervisedBatches):
    """Training batches passed through ``augment`` afresh every time (data augmentation).

    ``augment(X_batch)`` returns rows of the same shape; its random draws come from torch's
    global generator, as the reparameterisation noise does (so the shuffles, drawn by
    ``generator``, stay the same in every process of a data-parallel fit). Prediction
    batches (``training=False``) are not augmented.
    """

    def __init__(self, dataset, batch_size, augment=None, **kwargs):
        super().__init__(dataset, batch_size, **kwargs)
        self.augment = augment

    def __iter__(self):
        for X, y in super().__iter__():
            if self.training and self.augment is not None:
                X = self.augment(X)
            yield X, y
