"""
===========
Quick start
===========

Fit :class:`~sklearn_ssvae.M2Classifier` on scikit-learn's digits with 50 labels, the other
rows marked -1 as in :mod:`sklearn.semi_supervised`, and use it like any classifier.
"""

# %%
# Data: 8x8 digit images scaled to [0, 1], most labels hidden.
import numpy as np
from _settings import EPOCHS
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ssvae import M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
y_semi = make_semi_supervised(y_train, n_labelled=50, random_state=0)
print(f"{np.sum(y_semi != -1)} labelled rows, {np.sum(y_semi == -1)} unlabelled")

# %%
# Fit, predict, and look at the latent space and at generated digits.
clf = M2Classifier(latent_dim=16, hidden_sizes=(256,), batch_size=64, max_epochs=EPOCHS,
                   random_state=0)
clf.fit(X_train, y_semi)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")
print("q(y|x) of the first test row:", np.round(clf.predict_proba(X_test[:1]), 2))
print("latent means:", clf.transform(X_test).shape)
X_new, y_new = clf.sample(4, y=[3, 3, 7, 7], random_state=0)
print("generated rows:", X_new.shape, "of classes", y_new)
