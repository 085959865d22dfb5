"""
=======================================
M1, M2 and LabelSpreading, side by side
=======================================

The same few labels, the same unlabelled rows, the same test rows: accuracy as the number of
labels grows, for :class:`~sklearn_ssvae.M1Classifier`, :class:`~sklearn_ssvae.M2Classifier`
and :class:`sklearn.semi_supervised.LabelSpreading`. The three are used through the same code.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from _settings import EPOCHS, QUICK
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.semi_supervised import LabelSpreading

from sklearn_ssvae import M1Classifier, M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
networks = {"latent_dim": 16, "hidden_sizes": (256,), "batch_size": 64,
            "max_epochs": EPOCHS, "random_state": 0}
models = {
    "M1": M1Classifier(**networks),
    "M2": M2Classifier(**networks),
    "LabelSpreading": LabelSpreading(kernel="knn", n_neighbors=10),
}

# %%
n_labelled = [30, 100] if QUICK else [30, 50, 100, 200]
accuracy = {name: [] for name in models}
for n in n_labelled:
    y_semi = make_semi_supervised(y_train, n, random_state=0)
    for name, model in models.items():
        accuracy[name].append(model.fit(X_train, y_semi).score(X_test, y_test))
        print(f"{n:>4} labels  {name:>15}: {accuracy[name][-1]:.3f}")

# %%
fig, ax = plt.subplots()
for name, values in accuracy.items():
    ax.plot(n_labelled, values, marker="o", label=name)
ax.set_xlabel("labelled rows")
ax.set_ylabel("test accuracy")
ax.set_xscale("log")
ax.legend()
ax.set_title("digits: accuracy against the number of labels")
