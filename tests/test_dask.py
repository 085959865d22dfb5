"""A grid search spread over a Dask cluster with joblib's Dask backend (extra ``[dist]``)."""

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from sklearn_ssvae import M2Classifier
from sklearn_ssvae.datasets import make_semi_supervised
from sklearn_ssvae.model_selection import (
    SemiSupervisedStratifiedKFold,
    labelled_accuracy_scorer,
)

distributed = pytest.importorskip("dask.distributed")


def test_grid_search_on_a_local_dask_cluster_matches_the_serial_one():
    X, y = load_digits(return_X_y=True)
    X, y = (X[:400] / 16).astype(np.float32), y[:400]
    y_semi = make_semi_supervised(y, 60, random_state=0)

    def search(n_jobs):
        return GridSearchCV(
            M2Classifier(hidden_sizes=(32,), latent_dim=4, max_epochs=3, random_state=0,
                         device="cpu"),
            {"alpha": [1.0, 10.0]},
            cv=SemiSupervisedStratifiedKFold(2, shuffle=True, random_state=0),
            scoring=labelled_accuracy_scorer, n_jobs=n_jobs,
        ).fit(X, y_semi)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster, \
            distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"):
            on_dask = search(n_jobs=-1)
        assert len(client.scheduler_info()["workers"]) == 2
    serial = search(n_jobs=1)
    # The same seeds on the same CPU: the workers reproduce the serial search exactly.
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])
    assert on_dask.best_params_ == serial.best_params_
