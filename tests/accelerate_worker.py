"""One process of the data-parallel test (tests/test_accelerate.py runs two with torchrun).

Fits M2 through an ``Accelerator`` on CPU (gloo) and writes what the test checks to
``<out>/rank<k>.json``: the fitted weights' digest, how many training rows this process saw,
and the accuracy on the digits' rows.
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


class RowCounter(Callback):
    def initialize(self):
        self.rows_ = 0
        return self

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self.rows_ += len(batch[0])


def main(out):
    accelerator = Accelerator(cpu=True)
    X, y = load_digits(return_X_y=True)
    y_semi = np.where(np.random.RandomState(0).rand(len(y)) < 0.1, y, -1)
    clf = M2Classifier(max_epochs=10, random_state=0, accelerator=accelerator,
                       callbacks=[("rows", RowCounter())]).fit(X / 16, y_semi)
    weights = b"".join(v.cpu().numpy().tobytes()
                       for v in clf.net_.module_.state_dict().values())
    result = {
        "num_processes": accelerator.num_processes,
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
        "rows_seen": dict(clf.net_.callbacks_)["rows"].rows_,
        "accuracy": clf.score(X / 16, y),
    }
    Path(out, f"rank{accelerator.process_index}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
