"""Multilayer perceptrons for the encoders and the decoder.

The class enters M2's networks q(z|x,y) and p(x|y,z) through their first layer. Written as
``W_u u + W_y onehot(y) + b``, the ``W_y onehot(y)`` part is a row lookup in an embedding, so
enumerating all K classes for a batch costs one ``W_u u`` product (shared by every class) plus
a broadcast add, not K passes through the first layer.
"""

from torch import nn


def mlp(n_in, hidden_sizes, n_out):
    """Build a ReLU MLP from ``n_in`` through ``hidden_sizes`` to a linear ``n_out`` output.

    Parameters
    ----------
    n_in : int
        Number of inputs.
    hidden_sizes : tuple of int
        Width of each hidden layer; empty for a linear model.
    n_out : int
        Number of outputs.

    Returns
    -------
    torch.nn.Sequential
    """
    layers = []
    for width in hidden_sizes:
        layers += [nn.Linear(n_in, width), nn.ReLU()]
        n_in = width
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class ConditionalMLP(nn.Module):
    """A ReLU MLP on an input ``u`` and a class ``y``, as if on ``[u, onehot(y)]``.

    Parameters
    ----------
    n_in : int
        Size of ``u``.
    n_classes : int
        Number of classes K.
    hidden_sizes : tuple of int
        Width of each hidden layer; at least one.
    n_out : int
        Number of outputs.
    """

    def __init__(self, n_in, n_classes, hidden_sizes, n_out):
        super().__init__()
        first, *rest = hidden_sizes
        self.input = nn.Linear(n_in, first)
        self.class_embedding = nn.Embedding(n_classes, first)
        self.head = nn.Sequential(nn.ReLU(), mlp(first, tuple(rest), n_out))

    def forward(self, u, y=None):
        """Apply the network.

        Parameters
        ----------
        u : torch.Tensor of shape (n, n_in) or (n, K, n_in)
            Input, shared by all classes when 2-D.
        y : torch.LongTensor of shape (n,), or None
            Class index of each row; None evaluates every class (enumeration).

        Returns
        -------
        torch.Tensor of shape (n, n_out), or (n, K, n_out) when ``y`` is None
        """
        h = self.input(u)
        if y is None:
            if h.dim() == 2:
                h = h.unsqueeze(1)
            h = h + self.class_embedding.weight
        else:
            h = h + self.class_embedding(y)
        return self.head(h)
