"""The private skorch net that trains the torch modules.

Public estimators build one of these in ``fit`` and keep it as ``net_``. The module is the
whole model (its networks and likelihood) and the criterion is the objective, which takes the
module and a batch and returns the loss with its parts; the net records those parts per batch
so that skorch's epoch table shows them.
"""


import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PassthroughScoring, ProgressBar
from skorch.dataset import unpack_data
from skorch.utils import to_device

from ._batching import SemiSupervisedBatches
from ._validation import warn_user
from .callbacks import StopTraining


class NonFiniteLossError(FloatingPointError):
    """The training loss (or a weight) stopped being finite; training was stopped."""


class TrainingInterruptedWarning(UserWarning):
    """Training ended early on a KeyboardInterrupt; the model is only partly trained."""


class SemiSupervisedNet(NeuralNet):
    """skorch ``NeuralNet`` whose criterion is an objective of (module, X, y).

    Parameters
    ----------
    *args, **kwargs
        As for ``skorch.NeuralNet``; ``criterion`` is a module whose forward takes
        ``(module, X, y)`` and returns ``(loss, parts)`` with ``parts`` a dict of scalars,
        whose names the criterion class lists in its ``parts`` attribute.
    autocast_dtype : torch.dtype or None, default=None
        Train under ``torch.autocast`` with this dtype (``torch.bfloat16``): matrix products
        in that precision, weights, optimiser and loss terms in float32. Prediction is
        always in float32.
    """

    def __init__(self, *args, autocast_dtype=None, **kwargs):
        self.autocast_dtype = autocast_dtype
        kwargs.setdefault("iterator_train", SemiSupervisedBatches)
        kwargs.setdefault("iterator_train__training", True)
        kwargs.setdefault("iterator_valid", SemiSupervisedBatches)
        kwargs.setdefault("train_split", None)
        super().__init__(*args, **kwargs)

    def get_default_callbacks(self):
        callbacks = list(super().get_default_callbacks())
        parts = self.criterion.parts
        callbacks += [(name, PassthroughScoring(name, on_train=True)) for name in parts]
        return callbacks

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop; a KeyboardInterrupt (Ctrl-C) is reported, and training ends there.

        skorch ends training quietly on KeyboardInterrupt and keeps the weights of the last
        completed step. That is kept, but a user who pressed Ctrl-C (or a callback that raised
        KeyboardInterrupt) is told that the model is only partly trained. A callback raising
        :class:`~sklearn_ssvae.callbacks.StopTraining` ends training without the warning.
        """
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except StopTraining:
            raise
        except KeyboardInterrupt:
            done = sum("dur" in epoch for epoch in self.history)  # epochs timed to the end
            warn_user(
                f"Training was interrupted (KeyboardInterrupt) after {done} complete "
                f"epoch(s) of {epochs or self.max_epochs}; the model keeps the weights of "
                "the last completed training step (with early stopping, of the best epoch) "
                "and is usable, but only partly trained.",
                TrainingInterruptedWarning,
            )
            raise

    def compute_device(self):
        """The device the module computes on (where ``map_batches`` sends the rows)."""
        return self.device

    def training_loss(self, X, y):
        """The objective on one training batch, under autocast when asked for.

        Returns
        -------
        loss : torch.Tensor, scalar
        parts : dict of str to torch.Tensor
        """
        X, y = to_device(X, self.device), to_device(y, self.device)
        with torch.autocast(torch.device(self.device).type, dtype=self.autocast_dtype,
                            enabled=self.autocast_dtype is not None):
            return self.criterion_(self.module_, X, y)

    def check_loss(self, loss_value):
        """Raise NonFiniteLossError, before the step, if the batch's loss is not finite."""
        if not np.isfinite(loss_value):
            raise NonFiniteLossError(
                f"The training loss became {loss_value} at epoch {len(self.history)}; "
                "training stopped before the step that would have spoilt the weights. "
                "Try a smaller learning rate, or check X for extreme values (standardise "
                "features for a Gaussian likelihood). The estimator is left unfitted."
            )

    def backward(self, loss):
        """Backpropagate the training loss."""
        loss.backward()

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        loss, parts = self.training_loss(*unpack_data(batch))
        # One device-to-host copy per batch for the loss and all its parts.
        loss_value, *part_values = torch.stack([loss.detach(), *parts.values()]).tolist()
        self.check_loss(loss_value)
        self.backward(loss)
        for name, value in zip(parts, part_values, strict=True):
            self.history.record_batch(name, value)
        return {"loss": loss, "y_pred": None}

    def map_batches(self, X, fn):
        """Apply ``fn(module, X_batch)`` to ``X`` in evaluation mode, batch by batch.

        Parameters
        ----------
        X : torch.Tensor of shape (n_samples, n_features)
        fn : callable
            Takes the module and a batch on the net's device; returns a tensor.

        Returns
        -------
        ndarray
            The batches' results, concatenated along the first axis.
        """
        self._set_training(False)
        out, start = None, 0
        with torch.no_grad():
            for Xi, _ in self.get_iterator(self.get_dataset(X), training=False):
                result = fn(self.module_, to_device(Xi, self.compute_device()))
                n_rows = min(len(result), len(X) - start)  # batches are padded to a fixed size
                if out is None:  # one output array, filled in place: no list of batches
                    out = torch.empty((len(X), *result.shape[1:]), dtype=result.dtype)
                out[start : start + n_rows] = result[:n_rows]
                start += n_rows
        return out.numpy()


class ValidationAccuracy(Callback):
    """Accuracy of q(y|x) on held-out labelled rows after every epoch; early stopping.

    Records ``valid_acc`` in the history (a column of the epoch table), keeps a copy of the
    weights of the best epoch and puts them back when training ends. The time it takes is not
    part of the epoch's ``dur`` (skorch's timer runs first).

    Parameters
    ----------
    X : torch.Tensor of shape (n_rows, n_features)
        Held-out rows.
    y : ndarray of shape (n_rows,)
        Their class indices.
    n_iter_no_change : int or None, default=None
        Stop after this many epochs without a better accuracy; None never stops early.
    target : float or None, default=None
        Stop once the accuracy reaches this value.
    """

    def __init__(self, X, y, n_iter_no_change=None, target=None):
        self.X = X
        self.y = y
        self.n_iter_no_change = n_iter_no_change
        self.target = target

    def initialize(self):
        self.best_accuracy_, self.best_epoch_, self.best_weights_ = -1.0, 0, None
        return self

    def on_epoch_end(self, net, **kwargs):
        logits = net.map_batches(self.X, lambda module, x: module(x))
        accuracy = float(np.mean(logits.argmax(1) == self.y))
        net.history.record("valid_acc", accuracy)
        epoch = len(net.history)
        if accuracy > self.best_accuracy_:
            self.best_accuracy_, self.best_epoch_ = accuracy, epoch
            self.best_weights_ = {k: v.detach().clone()
                                  for k, v in net.module_.state_dict().items()}
        if self.target is not None and accuracy >= self.target:
            raise StopTraining
        if self.n_iter_no_change is not None and epoch - self.best_epoch_ >= self.n_iter_no_change:
            raise StopTraining

    def on_train_end(self, net, **kwargs):
        if self.best_weights_ is not None:
            net.module_.load_state_dict(self.best_weights_)


def check_finite_weights(module):
    """Raise NonFiniteLossError if any parameter of ``module`` holds NaN or infinity."""
    bad = [name for name, p in module.named_parameters() if not torch.isfinite(p).all()]
    if bad:
        raise NonFiniteLossError(
            f"Training left non-finite weights in {', '.join(bad)}. Try a smaller learning "
            "rate, or check X for extreme values. The estimator is left unfitted."
        )


def progress_callbacks(verbose):
    """Extra callbacks for ``verbose``: a progress bar at 2 and above."""
    return [("progress_bar", ProgressBar())] if verbose >= 2 else []


def as_float_tensor(X, device):
    """X as a float32 tensor on ``device``; shares memory with a float32 ndarray on CPU."""
    return torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32), device=device)
