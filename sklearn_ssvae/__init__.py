"""Semi-supervised variational autoencoders (Kingma et al., 2014) for scikit-learn."""

from ._m2 import M2Classifier

__all__ = ["M2Classifier"]
__version__ = "0.1.0"
