"""
===========================
Generated samples per class
===========================

M2 generates x given a class y and a latent style z ~ p(z): one row of digits per class,
as in Figure 3 of the seed blog, drawn with
:class:`~sklearn_ssvae.plotting.GeneratedSamplesDisplay`.
"""

# %%
import numpy as np
from _settings import EPOCHS
from sklearn.datasets import load_digits

from sklearn_ssvae import M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised
from sklearn_ssvae.plotting import GeneratedSamplesDisplay, TrainingCurvesDisplay

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
y_semi = make_semi_supervised(y, n_labelled=100, random_state=0)
clf = M2Classifier(latent_dim=8, hidden_sizes=(256,), batch_size=64, max_epochs=EPOCHS,
                   random_state=0).fit(X, y_semi)

# %%
display = GeneratedSamplesDisplay.from_estimator(clf, n_per_class=10, random_state=0)

# %%
# The loss terms over training.
TrainingCurvesDisplay.from_estimator(clf)
