"""One process of the data-parallel test (tests/test_accelerate.py runs two with torchrun).

Fits M2 through an ``Accelerator`` on CPU (gloo) and writes what the test checks to
``<out>/rank<k>.json``: the fitted weights' digest, the rows of every training batch this
process trained on (a last column of X numbers the rows), and the accuracy on the digits.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from accelerate import Accelerator
from sklearn.datasets import load_digits
from skorch.callbacks import Callback

from sklearn_ssvae import M2Classifier

N_ROWS = 1797


class RowRecorder(Callback):
    """The row numbers of each training batch, per epoch."""

    def initialize(self):
        self.epochs_ = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.epochs_.append([])

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            rows = (batch[0][:, -1] * (N_ROWS - 1)).round().long()
            self.epochs_[-1].append(sorted(rows.tolist()))


def main(out):
    accelerator = Accelerator(cpu=True)
    X, y = load_digits(return_X_y=True)
    X = np.column_stack([X / 16, np.arange(N_ROWS) / (N_ROWS - 1)])  # still in [0, 1]
    y_semi = np.where(np.random.RandomState(0).rand(len(y)) < 0.1, y, -1)
    clf = M2Classifier(max_epochs=10, random_state=0, accelerator=accelerator,
                       callbacks=[("rows", RowRecorder())]).fit(X, y_semi)
    weights = b"".join(v.cpu().numpy().tobytes()
                       for v in clf.net_.module_.state_dict().values())
    result = {
        "num_processes": accelerator.num_processes,
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
        "batches": dict(clf.net_.callbacks_)["rows"].epochs_,
        "labelled": np.flatnonzero(y_semi != -1).tolist(),
        "accuracy": clf.score(X, y),
    }
    Path(out, f"rank{accelerator.process_index}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
