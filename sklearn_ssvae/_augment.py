"""Data augmentation in training batches: dynamic binarisation, random shifts and flips.

Kingma's M1 on MNIST trained on every batch redrawn as binary pixels, x ~ Bernoulli(grey
value) ('binarize'). The Keras CIFAR-10 example, whose CNN the seed blog used as q(y|x),
trains on images shifted by up to a tenth of their width and height and flipped left to right
at random. Here each training batch is augmented afresh (the whole objective of M1 or M2 sees
the augmented rows, labelled and unlabelled alike); prediction never is.
"""

from functools import partial

import torch
import torch.nn.functional as F

AUGMENTATIONS = ("binarize", "shift", "flip_shift")


def augmentation(name, image_shape):
    """The batch function for an ``augment`` setting.

    Parameters
    ----------
    name : {'binarize', 'shift', 'flip_shift'}
    image_shape : tuple of int or None
        (height, width, channels); not used by 'binarize'.

    Returns
    -------
    callable
        ``augment(X_batch)``, rows in and out.
    """
    if name == "binarize":
        return binarize
    return partial(shift_and_flip, image_shape=image_shape, flip=name == "flip_shift")


def binarize(X):
    """Redraw every value of X as a binary one, 1 with probability the value (in [0, 1]).

    Drawn from torch's global generator, as the reparameterisation noise is.
    """
    return torch.bernoulli(X)


def shift_and_flip(X, image_shape, flip, max_shift=0.1):
    """Shift every image by a random whole number of pixels, and flip half of them.

    Parameters
    ----------
    X : torch.Tensor of shape (n_rows, height * width * channels)
        Image rows, channels last, as ``images.reshape(n, -1)`` flattens them.
    image_shape : tuple of int
        (height, width, channels).
    flip : bool
        Also flip each image left to right with probability 1/2 (not for digits or text).
    max_shift : float, default=0.1
        Largest shift as a share of the height and of the width, rounded to whole pixels;
        the edge pixels are repeated into the space a shift opens.

    Returns
    -------
    torch.Tensor, the shape of X

    Notes
    -----
    The shifts and flips are drawn from torch's global generator, as the reparameterisation
    noise is: seeded per fit, and per process in a data-parallel fit.
    """
    height, width, channels = image_shape
    n = len(X)
    images = X.reshape(n, height, width, channels)
    if flip:
        flipped = torch.rand(n, device=X.device) < 0.5
        images = torch.where(flipped[:, None, None, None], images.flip(2), images)
    pad_y, pad_x = round(max_shift * height), round(max_shift * width)
    padded = F.pad(images.permute(0, 3, 1, 2), (pad_x, pad_x, pad_y, pad_y), mode="replicate")
    dy = torch.randint(0, 2 * pad_y + 1, (n, 1), device=X.device)
    dx = torch.randint(0, 2 * pad_x + 1, (n, 1), device=X.device)
    rows = (dy + torch.arange(height, device=X.device))[:, :, None]  # (n, height, 1)
    cols = (dx + torch.arange(width, device=X.device))[:, None, :]  # (n, 1, width)
    batch = torch.arange(n, device=X.device)[:, None, None]
    shifted = padded.permute(0, 2, 3, 1)[batch, rows, cols]  # (n, height, width, channels)
    return shifted.reshape(n, -1)
