"""Semi-supervised variational autoencoders (Kingma et al., 2014) for scikit-learn."""

from ._m1 import M1Classifier
from ._m2 import M2Classifier
from ._stacked import StackedM1M2Classifier

__all__ = ["M1Classifier", "M2Classifier", "StackedM1M2Classifier"]
__version__ = "0.1.0"
