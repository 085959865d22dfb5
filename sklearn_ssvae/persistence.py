"""Share fitted models in a format that runs no code when loaded: JSON and safetensors.

:func:`save` writes one ``.safetensors`` file. The network weights (and the numeric fitted
arrays) are its tensors; its metadata holds a JSON document with the estimator's class, its
parameters and fitted attributes, and a SHA-256 digest over the JSON and every tensor.
:func:`load` accepts only this package's estimators (and ``LogisticRegression`` as M1's
classifier), checks the digest, validates the parameters as ``fit`` would, rebuilds the networks
and loads the weights strictly, so that a file that was altered or damaged is refused. Nothing
in the file is executed.

``pickle`` and ``joblib.dump`` work too, as for any scikit-learn estimator, but unpickling can
run arbitrary code: load pickles of these models (like any pickle) only from sources you trust,
and share models with :func:`save`. Optimiser state and ``callbacks`` are training-time objects
and are not saved; a loaded model predicts, transforms and samples as the saved one did.
"""

import hashlib
import json
from numbers import Integral, Real

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from ._validation import warn_user

FORMAT = "sklearn_ssvae/1"


class ModelFileError(ValueError):
    """The file is not a model saved by :func:`save`, or it was altered after saving."""


def save(estimator, path):
    """Save a fitted estimator of this package to ``path`` (a ``.safetensors`` file).

    Parameters
    ----------
    estimator : M1Classifier, M2Classifier or StackedM1M2Classifier
        Fitted. An M1 classifier must be ``LogisticRegression`` (the default).
    path : str or path-like
        File to write.
    """
    check_is_fitted(estimator)
    tensors = {}
    document = _describe(estimator, "", tensors)
    document["format"] = FORMAT
    text = json.dumps(document, sort_keys=True)
    tensors = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
    save_file(tensors, str(path), metadata={"format": FORMAT, "model": text,
                                            "sha256": _digest(text, tensors)})


def load(path, device="cpu"):
    """Load an estimator saved by :func:`save`, without running code from the file.

    Parameters
    ----------
    path : str or path-like
    device : str, default='cpu'
        Device for the networks ('cuda', say); the estimator's ``device`` parameter is kept
        as saved.

    Returns
    -------
    estimator

    Raises
    ------
    ModelFileError
        If the file is not such a model, or its contents do not match their digest.
    """
    try:
        with safe_open(str(path), framework="pt") as f:  # reads the header, runs nothing
            metadata = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except (OSError, ValueError, SafetensorError) as error:
        raise ModelFileError(f"{path} is not a readable safetensors model file: {error}") from None
    if metadata.get("format") != FORMAT or "model" not in metadata:
        raise ModelFileError(f"{path} was not written by sklearn_ssvae.persistence.save.")
    if metadata.get("sha256") != _digest(metadata["model"], tensors):
        raise ModelFileError(
            f"{path} does not match its SHA-256 digest: the file was altered or damaged after "
            "it was saved. Refusing to load it."
        )
    try:
        return _rebuild(json.loads(metadata["model"]), "", tensors, device)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ModelFileError(f"{path} holds a model that cannot be rebuilt: {error}") from None


def _digest(text, tensors):
    """SHA-256 over the JSON text and every tensor (name, dtype, shape and bytes)."""
    h = hashlib.sha256(text.encode())
    for name in sorted(tensors):
        t = tensors[name]
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _estimator_classes():
    from . import M1Classifier, M2Classifier, StackedM1M2Classifier

    return {c.__name__: c for c in (M1Classifier, M2Classifier, StackedM1M2Classifier)}


def _describe(estimator, prefix, tensors):
    """The JSON description of ``estimator``; its tensors go into ``tensors`` under ``prefix``."""
    name = type(estimator).__name__
    if isinstance(estimator, LogisticRegression):
        return _describe_logistic(estimator, prefix, tensors)
    if name not in _estimator_classes():
        raise TypeError(_unsupported(name))
    document = {"class": name, "params": _params(estimator, prefix, tensors), "fitted": {
        "classes_": _array_to_json(estimator.classes_),
        "n_features_in_": int(estimator.n_features_in_),
        "likelihood_": estimator.likelihood_,
    }}
    if hasattr(estimator, "feature_names_in_"):
        document["fitted"]["feature_names_in_"] = [str(f) for f in estimator.feature_names_in_]
    for key, value in estimator.net_.module_.state_dict().items():
        tensors[f"{prefix}net.{key}"] = value
    if name == "M1Classifier":
        document["fitted"]["classifier_"] = _describe(estimator.classifier_,
                                                      f"{prefix}classifier.", tensors)
    if name == "StackedM1M2Classifier":
        document["fitted"]["m1_"] = _describe(estimator.m1_, f"{prefix}m1.", tensors)
        document["fitted"]["latent_dims_"] = [int(d) for d in estimator.latent_dims_]
        tensors[f"{prefix}z1_fill"] = torch.as_tensor(np.asarray(estimator._z1_fill))
    return document


def _unsupported(what):
    return (f"save handles this package's estimators, with LogisticRegression as M1's "
            f"classifier; got {what}. Use joblib.dump for other models (and load such a "
            "file only from a trusted source).")


def _params(estimator, prefix, tensors):
    """``get_params(deep=False)`` as JSON values; nested estimators described recursively."""
    params = {}
    for key, value in estimator.get_params(deep=False).items():
        if value is None or isinstance(value, (bool, str, Integral, Real)):
            params[key] = value.item() if isinstance(value, np.generic) else value
        elif isinstance(value, (tuple, list)) and all(isinstance(v, Integral) for v in value):
            params[key] = [int(v) for v in value]
        elif key in ("m1", "classifier") and hasattr(value, "get_params"):
            unfitted = {"class": type(value).__name__}
            if not isinstance(value, LogisticRegression) and \
                    type(value).__name__ not in _estimator_classes():
                raise TypeError(_unsupported(f"the {key} parameter {value!r}"))
            unfitted["params"] = _params(value, prefix, tensors)
            params[key] = unfitted
        elif key in ("callbacks", "random_state", "accelerator"):
            warn_user(f"{key}={value!r} cannot be saved and is saved as None.")
            params[key] = None
        else:
            raise TypeError(f"save cannot store the parameter {key}={value!r} as JSON.")
    return params


def _describe_logistic(classifier, prefix, tensors):
    tensors[f"{prefix}coef_"] = torch.as_tensor(classifier.coef_)
    tensors[f"{prefix}intercept_"] = torch.as_tensor(classifier.intercept_)
    return {"class": "LogisticRegression", "params": _params(classifier, prefix, tensors),
            "fitted": {"classes_": _array_to_json(classifier.classes_),
                       "n_features_in_": int(classifier.n_features_in_),
                       "n_iter_": [int(n) for n in classifier.n_iter_]}}


def _array_to_json(values):
    """A 1-D array of labels as JSON: its dtype and its values as Python scalars."""
    values = np.asarray(values)
    items = values.tolist()
    if values.dtype == object and not all(isinstance(v, (str, int, float, bool)) for v in items):
        raise TypeError("save can store labels that are str, int, float or bool only.")
    return {"dtype": values.dtype.str if values.dtype != object else "object", "values": items}


def _array_from_json(document):
    dtype = np.dtype(object if document["dtype"] == "object" else document["dtype"])
    if dtype.kind not in "biufUO":
        raise ValueError(f"unexpected label dtype {dtype}")
    return np.array(document["values"], dtype=dtype)


def _plain_params(params):
    """The JSON parameters with lists back as tuples (hidden_sizes, image_shape)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def _rebuild(document, prefix, tensors, device):
    name = document["class"]
    params = _plain_params(document["params"])
    if name == "LogisticRegression":
        classifier = LogisticRegression(**params)
        classifier.coef_ = tensors[f"{prefix}coef_"].numpy()
        classifier.intercept_ = tensors[f"{prefix}intercept_"].numpy()
        classifier.classes_ = _array_from_json(document["fitted"]["classes_"])
        classifier.n_features_in_ = document["fitted"]["n_features_in_"]
        classifier.n_iter_ = np.asarray(document["fitted"]["n_iter_"], dtype=np.int32)
        return classifier
    classes = _estimator_classes()
    if name not in classes:
        raise ValueError(f"unknown estimator class {name!r}")
    for key in ("m1", "classifier"):
        if isinstance(params.get(key), dict):
            nested = params[key]
            nested_class = LogisticRegression if nested["class"] == "LogisticRegression" \
                else classes[nested["class"]]
            params[key] = nested_class(**_plain_params(nested["params"]))
    estimator = classes[name](**params)
    estimator._validate_params()
    fitted = document["fitted"]
    estimator.classes_ = _array_from_json(fitted["classes_"])
    estimator.n_features_in_ = int(fitted["n_features_in_"])
    estimator.likelihood_ = fitted["likelihood_"]
    if "feature_names_in_" in fitted:
        estimator.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    if name == "M1Classifier":
        estimator.classifier_ = _rebuild(fitted["classifier_"], f"{prefix}classifier.",
                                         tensors, device)
    if name == "StackedM1M2Classifier":
        estimator.m1_ = _rebuild(fitted["m1_"], f"{prefix}m1.", tensors, device)
        estimator.latent_dims_ = np.asarray(fitted["latent_dims_"], dtype=np.int64)
        estimator._z1_fill = tensors[f"{prefix}z1_fill"].numpy()
    weights = {key[len(prefix) + 4:]: value for key, value in tensors.items()
               if key.startswith(f"{prefix}net.")}
    estimator._restore_net(weights, device)
    return estimator
