"""
================
The latent space
================

:class:`~sklearn_ssvae.M1Classifier` learns z from every row, labelled or not; a classifier on
z then needs few labels. :class:`~sklearn_ssvae.plotting.LatentSpaceDisplay` shows the latent
means of the labelled rows by class, the unlabelled ones in grey (projected on two principal
axes when z is wider than 2).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from _settings import EPOCHS
from sklearn.datasets import load_digits

from sklearn_ssvae import M1Classifier, M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised
from sklearn_ssvae.plotting import LatentSpaceDisplay

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
y_semi = make_semi_supervised(y, n_labelled=100, random_state=0)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
m1 = M1Classifier(latent_dim=2, hidden_sizes=(256, 256), batch_size=64, max_epochs=EPOCHS,
                  random_state=0).fit(X, y_semi)
LatentSpaceDisplay.from_estimator(m1, X, y_semi, ax=axes[0])
axes[0].set_title("M1, z of size 2")
m2 = M2Classifier(latent_dim=2, hidden_sizes=(256,), batch_size=64, max_epochs=EPOCHS,
                  random_state=0).fit(X, y_semi)
LatentSpaceDisplay.from_estimator(m2, X, y_semi, ax=axes[1])
axes[1].set_title("M2: z is the style the class leaves unexplained")
