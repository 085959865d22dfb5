"""The networks of the encoders and decoders: MLPs, and the seed blog's CNNs for images.

The class enters M2's networks q(z|x,y) and p(x|y,z) through their first dense layer. Written
as ``W_u u + W_y onehot(y) + b``, the ``W_y onehot(y)`` part is a row lookup in an embedding,
so enumerating all K classes for a batch costs one ``W_u u`` product (shared by every class)
plus a broadcast add, not K passes through the first layer. With CNNs the same holds for the
convolutional trunk of q(z|x,y): it sees x alone, once per row. The decoder p(x|y,z) saves
only the class part: its ``u`` is z ~ q(z|x,y), a different z for every class, so its
``W_u u`` product is computed for all K (nothing of the decoder is shared between classes).

Rows of X are flat; for CNNs each row is an image flattened in channels-last order
``(height, width, channels)`` (as ``images.reshape(n, -1)`` gives for MNIST's (n, 28, 28) or
CIFAR-10's (n, 32, 32, 3) arrays).
"""

import math

import torch
from torch import nn

NETWORKS = ("mlp", "cnn")
# The dense layers' activation: ReLU, or Kingma's softplus. Convolutional parts stay ReLU.
ACTIVATIONS = {"relu": nn.ReLU, "softplus": nn.Softplus}


def mlp(n_in, hidden_sizes, n_out, activation="relu"):
    """Build an MLP from ``n_in`` through ``hidden_sizes`` to a linear ``n_out`` output.

    Parameters
    ----------
    n_in : int
        Number of inputs.
    hidden_sizes : tuple of int
        Width of each hidden layer; empty for a linear model.
    n_out : int
        Number of outputs.
    activation : {'relu', 'softplus'}, default='relu'
        After each hidden layer.

    Returns
    -------
    torch.nn.Sequential
    """
    layers = []
    for width in hidden_sizes:
        layers += [nn.Linear(n_in, width), ACTIVATIONS[activation]()]
        n_in = width
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


def check_image_shape(image_shape, n_features, conv_autoencoder=True, conv_classifier=True):
    """``image_shape`` as (height, width, channels), checked against ``n_features`` and the CNNs.

    Parameters
    ----------
    image_shape : tuple of int
        (height, width) or (height, width, channels).
    n_features : int
    conv_autoencoder : bool, default=True
        Whether the encoder and decoder are CNNs: the encoder halves the image twice and the
        decoder doubles it back, so height and width must be multiples of 4.
    conv_classifier : bool, default=True
        Whether q(y|x) is the Keras CNN: its two unpadded convolutions and two poolings need
        height and width of at least 10.

    Returns
    -------
    tuple of int
    """
    if image_shape is None:
        raise ValueError("The CNNs (a 'cnn' network) need image_shape=(height, width[, "
                         "channels]).")
    shape = tuple(int(s) for s in image_shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"image_shape must be (height, width) or (height, width, channels); got "
            f"{image_shape!r}."
        )
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape {image_shape!r} holds {math.prod(shape)} values but X has "
            f"{n_features} features per row."
        )
    height, width, _ = shape
    if conv_autoencoder and (height % 4 or width % 4):
        raise ValueError(
            f"The CNN encoder halves the image twice and the decoder doubles it back: height "
            f"and width must be multiples of 4; got {height}x{width}."
        )
    if conv_classifier and (height < 10 or width < 10):
        raise ValueError(
            f"The CNN q(y|x) (the Keras CIFAR-10 CNN) needs height and width of at least 10; "
            f"got {height}x{width}. Use classifier_network='mlp' for smaller images."
        )
    return shape


class ImageRows(nn.Module):
    """Apply a convolutional stack to flat channels-last rows with any leading axes.

    Parameters
    ----------
    convs : torch.nn.Module
        Takes (n, channels, height, width) images; its output is flattened per row.
    image_shape : tuple of int
        (height, width, channels).
    """

    def __init__(self, convs, image_shape):
        super().__init__()
        self.convs = convs
        self.image_shape = image_shape

    def forward(self, u):
        lead = u.shape[:-1]
        images = u.reshape(-1, *self.image_shape).permute(0, 3, 1, 2)
        return self.convs(images).reshape(*lead, -1)

    def n_out(self):
        """Size of the output per row."""
        with torch.no_grad():
            return self(torch.zeros(1, math.prod(self.image_shape))).shape[-1]


def keras_cifar10_cnn(image_shape, n_classes):
    """q(y|x) of the seed blog: the Keras CIFAR-10 example CNN.

    conv32-conv32-pool-dropout, conv64-conv64-pool-dropout, dense 512, dropout, dense K.
    """
    channels = image_shape[2]
    trunk = ImageRows(
        nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
            nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        ),
        image_shape,
    )
    return nn.Sequential(
        trunk, nn.Linear(trunk.n_out(), 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, n_classes)
    )


def conv_encoder_trunk(image_shape):
    """q(z|x)'s image trunk of the seed blog: three conv layers with batch norm."""
    channels = image_shape[2]
    return ImageRows(
        nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        ),
        image_shape,
    )


class ConvDecoderTail(nn.Module):
    """The decoder's image part: a dense output reshaped to a small image, then transposed
    convolutions back to full size, flattened channels-last (logits or means per pixel).

    Parameters
    ----------
    image_shape : tuple of int
        (height, width, channels) of the output.
    n_params : int, default=1
        Values per pixel and channel that the likelihood reads (2 for a mean and a scale);
        each comes out as its own flat channels-last block, one after the other.
    """

    N_CHANNELS = 64

    def __init__(self, image_shape, n_params=1):
        super().__init__()
        height, width, channels = image_shape
        self.n_params = n_params
        self.small = (self.N_CHANNELS, height // 4, width // 4)
        self.deconvs = nn.Sequential(
            nn.ReLU(),
            # No batch norm here: under enumeration a batch mixes the K classes of every row.
            nn.ConvTranspose2d(self.N_CHANNELS, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, n_params * channels, 4, stride=2, padding=1),
        )

    def n_in(self):
        """Size of the dense output it expects per row."""
        return math.prod(self.small)

    def forward(self, h):
        lead = h.shape[:-1]
        images = self.deconvs(h.reshape(-1, *self.small))
        n, _, height, width = images.shape
        images = images.reshape(n, self.n_params, -1, height, width)
        return images.permute(0, 1, 3, 4, 2).reshape(*lead, -1)


def image_parts(network, image_shape, n_features, n_params=1):
    """The x-side parts of the encoder and decoder for ``network``.

    ``n_params`` is the number of decoder outputs per feature that the likelihood reads.

    Returns
    -------
    trunk : torch.nn.Module
        Applied to x before the encoder's dense layers (identity for 'mlp').
    n_trunk_out : int
    tail : torch.nn.Module
        Applied after the decoder's dense layers to give x's parameters (identity for 'mlp').
    n_tail_in : int
    """
    if network == "mlp":
        return nn.Identity(), n_features, nn.Identity(), n_params * n_features
    trunk, tail = conv_encoder_trunk(image_shape), ConvDecoderTail(image_shape, n_params)
    return trunk, trunk.n_out(), tail, tail.n_in()


def encoder_y_network(network, image_shape, n_features, hidden_sizes, n_classes,
                      activation="relu"):
    """q(y|x): an MLP on ``hidden_sizes`` (``activation``), or the Keras CIFAR-10 CNN."""
    if network == "mlp":
        return mlp(n_features, hidden_sizes, n_classes, activation)
    return keras_cifar10_cnn(image_shape, n_classes)


class ConditionalMLP(nn.Module):
    """An MLP on an input ``u`` and a class ``y``, as if on ``[trunk(u), onehot(y)]``.

    Parameters
    ----------
    n_in : int
        Size of ``trunk(u)``.
    n_classes : int
        Number of classes K.
    hidden_sizes : tuple of int
        Width of each hidden layer; at least one.
    n_out : int
        Number of outputs of the dense part (the input size of ``tail``).
    trunk, tail : torch.nn.Module, default=None
        Applied to ``u`` before, and to the output after, the dense layers (a CNN's parts);
        None is the identity.
    activation : {'relu', 'softplus'}, default='relu'
        After each hidden layer.
    """

    def __init__(self, n_in, n_classes, hidden_sizes, n_out, trunk=None, tail=None,
                 activation="relu"):
        super().__init__()
        first, *rest = hidden_sizes
        self.trunk = trunk if trunk is not None else nn.Identity()
        self.input = nn.Linear(n_in, first)
        self.class_embedding = nn.Embedding(n_classes, first)
        self.head = nn.Sequential(ACTIVATIONS[activation](),
                                  mlp(first, tuple(rest), n_out, activation))
        self.tail = tail if tail is not None else nn.Identity()

    def forward(self, u, y=None):
        """Apply the network.

        Parameters
        ----------
        u : torch.Tensor of shape (n, n_u) or (n, K, n_u)
            Input, shared by all classes when 2-D.
        y : torch.LongTensor of shape (n,), or None
            Class index of each row; None evaluates every class (enumeration).

        Returns
        -------
        torch.Tensor of shape (n, n_out), or (n, K, n_out) when ``y`` is None
        """
        h = self.input(self.trunk(u))
        if y is None:
            if h.dim() == 2:
                h = h.unsqueeze(1)
            h = h + self.class_embedding.weight
        else:
            h = h + self.class_embedding(y)
        return self.tail(self.head(h))
