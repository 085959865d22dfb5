"""
======================================
Grid search with semi-supervised folds
======================================

``GridSearchCV`` over ``alpha`` and ``latent_dim`` of :class:`~sklearn_ssvae.M2Classifier` in
a ``Pipeline`` with a scaler. :class:`~sklearn_ssvae.model_selection.SemiSupervisedStratifiedKFold`
keeps every unlabelled row in training and splits the labelled ones; the scorer ignores -1.
The same search code then runs with ``LabelSpreading`` in place of M2, unchanged.
"""

# %%
import numpy as np
from _settings import QUICK
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.semi_supervised import LabelSpreading

from sklearn_ssvae import M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised
from sklearn_ssvae.model_selection import (
    SemiSupervisedStratifiedKFold,
    labelled_accuracy_scorer,
)

X, y = load_digits(return_X_y=True)
y_semi = make_semi_supervised(y, n_labelled=100, random_state=0)


def search(model, grid):
    """The user's search code: the same for any estimator that takes -1 for unlabelled rows."""
    cv = SemiSupervisedStratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    return GridSearchCV(model, grid, cv=cv, scoring=labelled_accuracy_scorer).fit(X, y_semi)


# %%
m2 = make_pipeline(MinMaxScaler(), M2Classifier(hidden_sizes=(128,), batch_size=64,
                                                max_epochs=2 if QUICK else 40,
                                                random_state=0))
grid = {"m2classifier__alpha": [1.0, 10.0], "m2classifier__latent_dim": [4, 16]}
m2_search = search(m2, grid)
print("M2:", m2_search.best_params_, f"cross-validated accuracy {m2_search.best_score_:.3f}")

# %%
spreading = make_pipeline(MinMaxScaler(), LabelSpreading(kernel="knn"))
spreading_search = search(spreading, {"labelspreading__n_neighbors": [5, 10, 20]})
print("LabelSpreading:", spreading_search.best_params_,
      f"cross-validated accuracy {spreading_search.best_score_:.3f}")
for params, score in zip(m2_search.cv_results_["params"],
                         m2_search.cv_results_["mean_test_score"], strict=True):
    print(f"  {params}: {np.round(score, 3)}")
