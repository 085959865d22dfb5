"""Training through Hugging Face Accelerate (multi-GPU data parallel, mixed precision).

An estimator given ``accelerator=Accelerator(...)`` trains an :class:`AcceleratedNet`: skorch's
``AccelerateMixin`` on the package's net. Three things differ from the plain mixin.

- The objective calls the model's own methods (``neg_elbo_terms``, ``unlabelled_bound``, ...),
  which a ``DistributedDataParallel`` wrapper does not have, and gradients are only averaged
  between processes for computations that go through the wrapper's ``forward``. So the
  accelerator prepares one module, :class:`TrainingObjective`, whose forward is the whole
  objective; the model itself (``module_``) is never wrapped, and prediction, persistence and
  pickling see the same plain model as after any fit.
- The batches are the package's own (labelled rows dealt to every batch), not a ``DataLoader``
  that Accelerate could shard. Every process draws the same batches (a shuffle generator
  seeded alike in all of them) and keeps every ``num_processes``-th row of each
  (``SemiSupervisedBatches(num_shards, shard_index)``); the noise of the reparameterisation is
  seeded per process.
- A process's share of a batch may hold all of its labelled rows, or none. Each group's terms
  are therefore summed over the share and divided by the group's count in the whole batch
  (over the number of processes), so that the average of the processes' gradients, which DDP
  takes, is the gradient of the whole batch's objective.
"""

import numpy as np
import torch
from skorch.hf import AccelerateMixin
from torch import nn

from ._net import NonFiniteLossError, SemiSupervisedNet


def _discard(text):
    """A print sink that prints nothing (the epoch table of processes other than the main)."""


class TrainingObjective(nn.Module):
    """The model and its objective as one module: ``forward`` is ``objective(model, ...)``.

    Parameters
    ----------
    model : torch.nn.Module
        The estimator's model (``net.module_``).
    objective : torch.nn.Module
        Its objective (``net.criterion_``), called as ``objective(model, X, y, group_totals)``.
    """

    def __init__(self, model, objective):
        super().__init__()
        self.model = model
        self.objective = objective

    def forward(self, X, y, group_totals=None):
        return self.objective(self.model, X, y, group_totals=group_totals)


class AcceleratedNet(AccelerateMixin, SemiSupervisedNet):
    """The package's net, trained by an ``accelerate.Accelerator``.

    The epoch table (main process only) shows the main process's share of each batch.

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
    # takes the module, so the package's step is used, with the hooks below.
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
        with self._current_init_context("optimizer"):
            self.optimizer_ = self.accelerator.prepare(self.optimizer_)
        self._wrapped_with_accelerator = True
        return self

    def _unwrap_accelerator(self):
        """Drop the prepared objective and optimiser wrapper, and the accelerator's hold on them.

        ``module_`` was never wrapped. The accelerator keeps a list of what it prepared; ours
        are taken off it, so that a fitted model holds no training-time wrapper (and a grid
        search sharing one accelerator does not keep every fit alive).
        """
        if not self._wrapped_with_accelerator:
            return
        objective = self.accelerator.unwrap_model(self.training_objective_,
                                                  keep_fp32_wrapper=False)
        wrapped_optimizer = self.optimizer_
        for name, prepared in (("_models", objective), ("_optimizers", wrapped_optimizer)):
            kept = [o for o in getattr(self.accelerator, name, []) if o is not prepared]
            setattr(self.accelerator, name, kept)
        self.training_objective_ = None
        with self._current_init_context("optimizer"):
            self.optimizer_ = wrapped_optimizer.optimizer
        self._wrapped_with_accelerator = False

    def train_step(self, batch, **fit_params):
        with self.accelerator.accumulate(self.training_objective_):
            return SemiSupervisedNet.train_step(self, batch, **fit_params)

    def training_loss(self, X, y):
        """The objective on this process's share, each group scaled to the whole batch."""
        group_totals = None
        if self.accelerator.num_processes > 1:
            counts = torch.stack([(y >= 0).sum(), (y < 0).sum()]).float()
            group_totals = (self.accelerator.reduce(counts, reduction="sum")
                            / self.accelerator.num_processes)
        with self.accelerator.autocast():
            return self.training_objective_(X, y, group_totals)

    def check_loss(self, loss_value):
        """Raise in every process when the loss is not finite in any (none waits for it)."""
        if self.accelerator.num_processes == 1:
            return super().check_loss(loss_value)
        bad = torch.tensor([0.0 if np.isfinite(loss_value) else 1.0],
                           device=self.accelerator.device)
        n_bad = int(self.accelerator.reduce(bad, reduction="sum").item())
        if n_bad:
            raise NonFiniteLossError(
                f"The training loss became non-finite in {n_bad} of "
                f"{self.accelerator.num_processes} processes at epoch {len(self.history)} "
                f"(here: {loss_value}); training stopped before the step that would have "
                "spoilt the weights. Try a smaller learning rate, or check X for extreme "
                "values. The estimator is left unfitted."
            )

    def backward(self, loss):
        self.accelerator.backward(loss)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Unwrap, then keep the model where it trained (``device`` for prediction, pickle)."""
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.device = str(self.accelerator.device)
        return self


def check_accelerator(accelerator, precision, random_state):
    """Refuse settings this package cannot train correctly with an accelerator.

    Parameters
    ----------
    accelerator : accelerate.Accelerator
    precision : str
        The estimator's ``precision``; the accelerator sets the precision instead.
    random_state : int, RandomState instance or None
        The estimator's; with several processes it must be the same in all of them.
    """
    if precision != "float32":
        raise ValueError(
            f"precision={precision!r} cannot be combined with an accelerator, which sets the "
            "precision itself: pass Accelerator(mixed_precision='bf16') and leave precision "
            "at 'float32'."
        )
    if accelerator.mixed_precision == "fp16":
        raise ValueError(
            "Accelerator(mixed_precision='fp16') is not supported: the loss is checked for "
            "overflow before every step instead of being scaled. Use mixed_precision='bf16'."
        )
    if accelerator.gradient_accumulation_steps != 1:
        raise ValueError(
            "gradient_accumulation_steps > 1 is not supported: the batches are the package's "
            "own, whose end Accelerate cannot see. Use a larger batch_size instead."
        )
    if not accelerator.device_placement:
        raise ValueError("Accelerator(device_placement=False) is not supported: the "
                         "accelerator must place the model where it places the data.")
    if accelerator.num_processes > 1 and random_state is None:
        raise ValueError(
            f"With {accelerator.num_processes} processes, set random_state to an int: every "
            "process must hold out the same validation rows and draw the same batches."
        )
