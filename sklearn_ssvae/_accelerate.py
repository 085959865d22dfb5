"""Training through Hugging Face Accelerate (multi-GPU data parallel, mixed precision).

An estimator given ``accelerator=Accelerator(...)`` trains an :class:`AcceleratedNet`: skorch's
``AccelerateMixin`` on the package's net. Two things differ from the plain mixin.

- The objective calls the model's own methods (``neg_elbo_terms``, ``unlabelled_bound``, ...),
  which a ``DistributedDataParallel`` wrapper does not have, and gradients are only averaged
  between processes for computations that go through the wrapper's ``forward``. So the
  accelerator prepares one module, :class:`TrainingObjective`, whose forward is the whole
  objective; the model itself (``module_``) is never wrapped, and prediction, persistence and
  pickling see the same plain model as after any fit.
- The batches are the package's own (labelled rows dealt to every batch), not a ``DataLoader``
  that Accelerate could shard. Every process draws the same batches from the same seed and
  keeps its share of each (``SemiSupervisedBatches(num_shards, shard_index)``).
"""

from skorch.hf import AccelerateMixin
from torch import nn

from ._net import SemiSupervisedNet


def _discard(text):
    """A print sink that prints nothing (the epoch table of processes other than the main)."""


class TrainingObjective(nn.Module):
    """The model and its objective as one module: ``forward(X, y)`` is ``objective(model, X, y)``.

    Parameters
    ----------
    model : torch.nn.Module
    objective : torch.nn.Module
    """

    def __init__(self, model, objective):
        super().__init__()
        self.model = model
        self.objective = objective

    def forward(self, X, y):
        return self.objective(self.model, X, y)


class AcceleratedNet(AccelerateMixin, SemiSupervisedNet):
    """The package's net, trained by an ``accelerate.Accelerator``.

    Parameters
    ----------
    *args, **kwargs
        As for :class:`~sklearn_ssvae._net.SemiSupervisedNet`, less ``device`` and
        ``autocast_dtype``: the accelerator places the model and data and sets the precision
        (its ``mixed_precision``).
    accelerator : accelerate.Accelerator
    """

    def __init__(self, *args, accelerator, **kwargs):
        kwargs.setdefault("iterator_train__num_shards", accelerator.num_processes)
        kwargs.setdefault("iterator_train__shard_index", accelerator.process_index)
        # The epoch table from the main process only. (skorch's default sink, the
        # accelerator's print, would print it whatever ``verbose`` says.)
        kwargs.setdefault("callbacks__print_log__sink",
                          print if accelerator.is_main_process else _discard)
        super().__init__(*args, accelerator=accelerator, device=None, **kwargs)

    # AccelerateMixin's own train step calls ``infer`` and ``get_loss``; this net's objective
    # takes the module, so the package's step is used, with the two hooks below.
    train_step_single = SemiSupervisedNet.train_step_single

    def compute_device(self):
        """The accelerator's device while training; the net's own once training ended."""
        return self.accelerator.device if self.device is None else self.device

    def _initialize_accelerator(self):
        """Prepare the objective (with the model inside) and the optimiser."""
        if self._wrapped_with_accelerator:
            return self
        # Registered as a criterion: skorch then sets its training mode with the others, and
        # its parameters (the model's) are not handed to the optimiser a second time.
        with self._current_init_context("criterion"):
            self.training_objective_ = self.accelerator.prepare(
                TrainingObjective(self.module_, self.criterion_)
            )
        for name in self._optimizers:
            setattr(self, name + "_", self.accelerator.prepare(getattr(self, name + "_")))
        self._wrapped_with_accelerator = True
        return self

    def _unwrap_accelerator(self):
        """Drop the prepared objective; ``module_`` was never wrapped."""
        self.training_objective_ = None
        self._wrapped_with_accelerator = False

    def train_step(self, batch, **fit_params):
        with self.accelerator.accumulate(self.training_objective_):
            return SemiSupervisedNet.train_step(self, batch, **fit_params)

    def training_loss(self, X, y):
        with self.accelerator.autocast():
            return self.training_objective_(X, y)

    def backward(self, loss):
        self.accelerator.backward(loss)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Unwrap, then keep the model where it trained (``device`` for prediction, pickle)."""
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.device = str(self.accelerator.device)
        return self


def broadcast_seed(accelerator, seed):
    """The main process's ``seed``, in every process (the same batches everywhere).

    Parameters
    ----------
    accelerator : accelerate.Accelerator
    seed : int

    Returns
    -------
    int
    """
    if accelerator.num_processes == 1:
        return seed
    from accelerate.utils import broadcast_object_list

    return int(broadcast_object_list([seed])[0])


def check_precision(precision):
    """Refuse a ``precision`` beside an accelerator, which sets the precision itself."""
    if precision != "float32":
        raise ValueError(
            f"precision={precision!r} cannot be combined with an accelerator, which sets the "
            "precision itself: pass Accelerator(mixed_precision='bf16') and leave precision "
            "at 'float32'."
        )
