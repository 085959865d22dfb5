"""Minibatches spread the labelled rows over every training batch."""

import pytest
import torch
from skorch.dataset import Dataset

from sklearn_ssvae._batching import SemiSupervisedBatches, epoch_plan


def dataset(n_labelled, n_unlabelled):
    n = n_labelled + n_unlabelled
    y = torch.full((n,), -1)
    y[torch.randperm(n, generator=torch.Generator().manual_seed(0))[:n_labelled]] = 1
    return Dataset(torch.arange(n, dtype=torch.float32).unsqueeze(1), y)


def labelled_counts(batches):
    return [int((y >= 0).sum()) for _, y in batches]


@pytest.mark.parametrize("n_labelled, n_unlabelled", [(100, 900), (7, 993), (1000, 0), (0, 50)])
def test_every_unlabelled_row_once_per_epoch(n_labelled, n_unlabelled):
    data = dataset(n_labelled, n_unlabelled)
    batches = list(SemiSupervisedBatches(data, batch_size=64, training=True))
    rows = torch.cat([x.squeeze(1) for x, y in batches]).long()
    unlabelled = rows[data.y[rows] < 0]
    assert sorted(unlabelled.tolist()) == sorted(torch.nonzero(data.y < 0).squeeze(1).tolist())
    assert len(batches) == len(SemiSupervisedBatches(data, batch_size=64, training=True))


def test_labelled_rows_spread_evenly_and_each_seen_once():
    data = dataset(100, 900)
    batches = list(SemiSupervisedBatches(data, batch_size=100, training=True))
    assert labelled_counts(batches) == [10] * 10
    rows = torch.cat([x[y >= 0].squeeze(1) for x, y in batches]).long()
    assert sorted(rows.tolist()) == sorted(torch.nonzero(data.y >= 0).squeeze(1).tolist())


def test_fewer_labelled_rows_than_batches_are_cycled_into_every_batch():
    batches = list(SemiSupervisedBatches(dataset(3, 997), batch_size=100, training=True))
    assert len(batches) == 10
    assert min(labelled_counts(batches)) >= 1


def test_fixed_number_of_labelled_rows_per_batch():
    batches = list(
        SemiSupervisedBatches(dataset(5, 995), batch_size=100, training=True,
                              n_labelled_per_batch=20)
    )
    assert labelled_counts(batches) == [20] * len(batches)
    assert sum(len(y) - 20 for _, y in batches) == 995


@pytest.mark.parametrize("n_labelled, n_unlabelled, k", [
    (100, 900, None), (3, 997, None), (5, 995, 20), (400, 600, 20), (50, 0, 20)])
def test_epoch_plan_counts_the_batches_and_labelled_rows_an_epoch_deals(n_labelled,
                                                                         n_unlabelled, k):
    batches = list(SemiSupervisedBatches(dataset(n_labelled, n_unlabelled), batch_size=100,
                                         training=True, n_labelled_per_batch=k))
    assert epoch_plan(n_labelled, n_unlabelled, 100, k) == (len(batches),
                                                            sum(labelled_counts(batches)))


def test_epochs_are_shuffled_differently():
    data = dataset(10, 90)
    iterator = SemiSupervisedBatches(data, batch_size=10, training=True)
    first, second = (torch.cat([x for x, _ in iterator]) for _ in range(2))
    assert not torch.equal(first, second)


def test_prediction_batches_keep_row_order_with_a_fixed_shape():
    data = Dataset(torch.arange(10, dtype=torch.float32).unsqueeze(1), None)
    batches = list(SemiSupervisedBatches(data, batch_size=4))
    assert [len(x) for x, _ in batches] == [4, 4, 4]  # the last one padded
    assert torch.equal(torch.cat([x for x, _ in batches]).squeeze(1)[:10], torch.arange(10.0))


def test_shards_split_every_batch_between_processes():
    data = dataset(30, 970)

    def batches(**shard):
        torch.manual_seed(0)  # every process draws the same batches
        return list(SemiSupervisedBatches(data, batch_size=100, training=True, **shard))

    whole = batches()
    shards = [batches(num_shards=3, shard_index=i) for i in range(3)]
    assert all(len(shard) == len(whole) for shard in shards)
    for k, (x, _) in enumerate(whole):
        parts = [shard[k] for shard in shards]
        assert sorted(torch.cat([px for px, _ in parts]).squeeze(1).tolist()) == \
            sorted(x.squeeze(1).tolist())
        assert all((py >= 0).any() for _, py in parts)  # labelled rows in every share
