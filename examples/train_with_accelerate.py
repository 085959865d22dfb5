"""
=====================================================
Multi-GPU training with Hugging Face Accelerate
=====================================================

Pass an ``accelerate.Accelerator`` as ``accelerator=`` and launch the script with
``accelerate launch`` (or ``torchrun``): every process trains on its share of each batch and
the gradients are averaged between them (PyTorch's ``DistributedDataParallel``, through
skorch's ``AccelerateMixin``). The same script runs as one process with plain ``python``::

    python examples/train_with_accelerate.py                       # one process
    accelerate launch --multi_gpu --num_processes 4 examples/train_with_accelerate.py
    torchrun --nproc_per_node 2 examples/train_with_accelerate.py  # two CPU processes

Mixed precision is the accelerator's to set (``Accelerator(mixed_precision='bf16')``). The
fitted estimator needs no accelerator for prediction: pickle it, or save it with
:func:`sklearn_ssvae.persistence.save`, from the main process.
"""

# %%
# Data: every process loads the same rows; the estimator shares out the batches.
import numpy as np
import torch
from _settings import EPOCHS
from accelerate import Accelerator
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ssvae import M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
y_semi = make_semi_supervised(y_train, n_labelled=50, random_state=0)

# %%
# One accelerator per process; on a machine without GPUs it trains on the CPU.
accelerator = Accelerator(cpu=not torch.cuda.is_available())
clf = M2Classifier(latent_dim=16, hidden_sizes=(256,), batch_size=64, max_epochs=EPOCHS,
                   random_state=0, accelerator=accelerator, verbose=1)
clf.fit(X_train, y_semi)

# %%
# Every process holds the same model; report from the main one.
if accelerator.is_main_process:
    print(f"{accelerator.num_processes} process(es), {accelerator.device}: "
          f"test accuracy {clf.score(X_test, y_test):.3f}")
