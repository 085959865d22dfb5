"""Callbacks for the estimators' ``callbacks`` parameter, beside any of ``skorch.callbacks``.

- :class:`Checkpoint` saves the training state after every epoch, each file written atomically,
  so a run that is killed leaves the last complete checkpoint, never a half-written file.
- :class:`StopTraining` is what a callback raises to end training early without it being
  reported as an interruption.
"""

import os
from contextlib import suppress

from skorch.callbacks import Checkpoint as _SkorchCheckpoint

from ._validation import warn_user


class StopTraining(KeyboardInterrupt):
    """Raise from a callback to end training after the current epoch, quietly.

    skorch ends training on ``KeyboardInterrupt``; the estimators warn when that happens (it is
    usually Ctrl-C). A callback that stops training on purpose raises this subclass instead,
    and no warning is given.
    """


class Checkpoint(_SkorchCheckpoint):
    """skorch's ``Checkpoint``, writing each file atomically; saves every epoch by default.

    Each file (parameters, optimizer state, history, ...) is written to a temporary file in the
    same folder, flushed to disk, and then renamed over the previous one, so at any moment the
    folder holds complete files. The files of one checkpoint are replaced one after the other:
    a run killed between two renames can leave, say, the parameters of epoch k beside the
    history of epoch k-1, each of them complete.

    Resume with ``skorch.callbacks.LoadInitState(checkpoint)`` beside it in ``callbacks``.

    Parameters
    ----------
    monitor : str, callable or None, default=None
        As for skorch's ``Checkpoint``; None saves after every epoch (the estimators hold no
        validation loss to monitor).
    **kwargs
        The other parameters of ``skorch.callbacks.Checkpoint`` (``dirname``, ``f_params``,
        ``f_optimizer``, ``f_history``, ``load_best``, ...).

    Examples
    --------
    >>> from sklearn_ssvae import M2Classifier
    >>> from sklearn_ssvae.callbacks import Checkpoint
    >>> clf = M2Classifier(callbacks=[Checkpoint(dirname="m2_checkpoints")])  # doctest: +SKIP
    """

    def __init__(self, monitor=None, **kwargs):
        super().__init__(monitor=monitor, **kwargs)

    def _save_params(self, f, net, f_name, log_name):
        if not isinstance(f, (str, os.PathLike)):  # a file object: the caller owns it
            return super()._save_params(f, net, f_name, log_name)
        temporary = f"{os.fspath(f)}.partial"
        try:
            net.save_params(**{f_name: temporary, "use_safetensors": self.use_safetensors})
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            os.replace(temporary, f)
        except Exception as error:  # noqa: BLE001 - reported, and training goes on
            with suppress(OSError):
                os.remove(temporary)
            warn_user(
                f"Could not write the {log_name} checkpoint to {f}: "
                f"{type(error).__name__}: {error}. The previous checkpoint file is unchanged.",
                RuntimeWarning,
            )
