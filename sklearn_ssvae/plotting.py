"""Pictures of a fitted model in scikit-learn's ``Display`` style (extra ``[plot]``).

Each display is built with ``from_estimator(...)``, which computes what to draw and calls
``plot(ax=...)``; the figure and the artists are kept in attributes ending in ``_``
(``figure_``, ``ax_``, ...), as for ``sklearn.metrics.ConfusionMatrixDisplay``. matplotlib is
imported only when something is drawn.

- :class:`GeneratedSamplesDisplay`: a grid of generated images, one row per class (the seed
  blog's Figure 3) for models that generate given a class (M2, M1+M2).
- :class:`LatentSpaceDisplay`: the latent means of labelled and unlabelled rows in 2-D.
- :class:`TrainingCurvesDisplay`: the loss terms (and validation accuracy) per epoch.
"""

import inspect
import math

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

from ._validation import labelled_rows


def _axes(ax, name):
    """``ax``, or the axes of a new figure; and its figure."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{name}.plot needs matplotlib: pip install 'sklearn-ssvae[plot]' (or matplotlib)."
        ) from error

    if ax is None:
        _, ax = plt.subplots()
    return ax, ax.figure


def _image_shape(estimator, n_features, image_shape):
    """(height, width[, channels]) of one row: given, the estimator's, or a square."""
    shape = image_shape or getattr(estimator, "image_shape", None)
    if shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(f"Rows of {n_features} features are not square images; pass "
                             "image_shape=(height, width[, channels]).")
        shape = (side, side)
    return tuple(shape)


class GeneratedSamplesDisplay:
    """A grid of generated rows shown as images, one row of the grid per class.

    Parameters
    ----------
    images : ndarray of shape (n_classes, n_per_class, height, width[, channels])
        Generated images, values in [0, 1] (they are clipped for display).
    labels : ndarray of shape (n_classes,)
        The class of each row of the grid.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    image_ : matplotlib AxesImage
        The mosaic of all images.
    """

    def __init__(self, images, labels):
        self.images = images
        self.labels = labels

    @classmethod
    def from_estimator(cls, estimator, n_per_class=8, *, image_shape=None, random_state=None,
                       ax=None):
        """Generate ``n_per_class`` rows per class with ``estimator.sample`` and plot them.

        Parameters
        ----------
        estimator : M2Classifier or StackedM1M2Classifier
            Fitted; its ``sample`` takes the classes to generate.
        n_per_class : int, default=8
        image_shape : tuple of int or None, default=None
            How a row unflattens; the estimator's ``image_shape``, or a square, by default.
        random_state : int, RandomState instance or None, default=None
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        GeneratedSamplesDisplay
        """
        check_is_fitted(estimator)
        if "y" not in inspect.signature(estimator.sample).parameters:
            raise TypeError(f"{type(estimator).__name__} does not generate given a class; "
                            "use M2Classifier or StackedM1M2Classifier.")
        labels = estimator.classes_
        X, _ = estimator.sample(len(labels) * n_per_class, y=np.repeat(labels, n_per_class),
                                random_state=random_state)
        shape = _image_shape(estimator, X.shape[1], image_shape)
        images = X.reshape(len(labels), n_per_class, *shape)
        return cls(images, labels).plot(ax=ax)

    def plot(self, *, ax=None, cmap="gray"):
        """Draw the grid.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
        cmap : str, default='gray'
            Colour map for single-channel images.

        Returns
        -------
        self
        """
        ax, figure = _axes(ax, type(self).__name__)
        # A one-pixel grey border after every image keeps neighbours apart.
        padding = [(0, 0), (0, 0), (0, 1), (0, 1)] + [(0, 0)] * (self.images.ndim - 4)
        images = np.pad(np.clip(self.images, 0, 1), padding, constant_values=0.5)
        n_classes, n_per_class, height, width, *channels = images.shape
        mosaic = images.transpose(0, 2, 1, 3, *range(4, images.ndim))
        mosaic = mosaic.reshape(n_classes * height, n_per_class * width, *channels)
        if channels == [1]:
            mosaic = mosaic[..., 0]
        self.image_ = ax.imshow(mosaic, cmap=cmap if mosaic.ndim == 2 else None,
                                vmin=0, vmax=1, interpolation="nearest")
        ax.set_yticks((np.arange(n_classes) + 0.5) * height,
                      labels=[str(c) for c in self.labels])
        ax.set_xticks([])
        ax.set_ylabel("class")
        ax.set_title("Generated samples, one row per class")
        self.ax_, self.figure_ = ax, figure
        return self


class LatentSpaceDisplay:
    """Latent means of labelled and unlabelled rows, in two dimensions.

    Parameters
    ----------
    embedding : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
        Labels, -1 for unlabelled rows.
    axis_labels : tuple of str
        Names of the two axes.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    unlabelled_ : matplotlib PathCollection
        The unlabelled rows, in grey.
    labelled_ : dict of label to PathCollection
        The labelled rows of each class.
    """

    def __init__(self, embedding, y, axis_labels=("z 1", "z 2")):
        self.embedding = embedding
        self.y = y
        self.axis_labels = axis_labels

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None):
        """Plot ``estimator.transform(X)``, projected on its first two principal axes if wider.

        Parameters
        ----------
        estimator : fitted estimator of this package
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, -1 for unlabelled rows.
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        LatentSpaceDisplay
        """
        Z = estimator.transform(X)
        axis_labels = ("z 1", "z 2")
        if Z.shape[1] > 2:
            Z = PCA(2, random_state=0).fit_transform(Z)
            axis_labels = ("principal axis 1 of z", "principal axis 2 of z")
        elif Z.shape[1] == 1:
            Z = np.column_stack([Z[:, 0], np.zeros(len(Z))])
        return cls(Z, np.asarray(y), axis_labels).plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        self
        """
        ax, figure = _axes(ax, type(self).__name__)
        labelled = labelled_rows(self.y)
        self.unlabelled_ = ax.scatter(*self.embedding[~labelled].T, s=4, c="0.75",
                                      label="unlabelled")
        self.labelled_ = {}
        for label in np.unique(self.y[labelled].astype(str)):
            rows = labelled & (self.y.astype(str) == label)
            self.labelled_[label] = ax.scatter(*self.embedding[rows].T, s=18,
                                               edgecolors="k", linewidths=0.3, label=label)
        ax.set_xlabel(self.axis_labels[0])
        ax.set_ylabel(self.axis_labels[1])
        ax.legend(markerscale=1.5, fontsize="small", loc="best")
        ax.set_title("Latent space: labelled rows by class, unlabelled in grey")
        self.ax_, self.figure_ = ax, figure
        return self


class TrainingCurvesDisplay:
    """The loss terms per epoch, and the validation accuracy when early stopping was used.

    Parameters
    ----------
    curves : dict of str to ndarray
        One array of per-epoch values per name (``train_loss``, ``reconstruction``, ...).

    Attributes
    ----------
    ax_ : matplotlib Axes
        The losses.
    accuracy_ax_ : matplotlib Axes or None
        A twin axis with the accuracies, when there are any.
    figure_ : matplotlib Figure
    lines_ : dict of str to matplotlib Line2D
    """

    def __init__(self, curves):
        self.curves = curves

    @classmethod
    def from_estimator(cls, estimator, *, ax=None):
        """Plot the training history of a fitted estimator (``estimator.net_.history``).

        Parameters
        ----------
        estimator : fitted estimator of this package
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        TrainingCurvesDisplay
        """
        check_is_fitted(estimator)
        history = estimator.net_.history
        names = ["train_loss", *estimator.net_.criterion_.parts, "valid_acc"]
        curves = {name: np.asarray(history[:, name], dtype=float)
                  for name in names if all(name in epoch for epoch in history)}
        return cls(curves).plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        self
        """
        ax, figure = _axes(ax, type(self).__name__)
        self.lines_ = {}
        self.accuracy_ax_ = None
        for i, (name, values) in enumerate(self.curves.items()):
            target = ax
            if "acc" in name:
                if self.accuracy_ax_ is None:
                    self.accuracy_ax_ = ax.twinx()
                    self.accuracy_ax_.set_ylabel("accuracy")
                target = self.accuracy_ax_
            (self.lines_[name],) = target.plot(np.arange(1, len(values) + 1), values,
                                               linestyle="--" if "acc" in name else "-",
                                               color=f"C{i}", label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss per row (nats)")
        handles = list(self.lines_.values())
        ax.legend(handles, [h.get_label() for h in handles], fontsize="small", loc="best")
        ax.set_title("Training curves")
        self.ax_, self.figure_ = ax, figure
        return self
