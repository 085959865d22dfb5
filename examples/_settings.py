"""Settings shared by the examples: full runs, or short ones for the test suite.

The test suite sets ``SKLEARN_SSVAE_EXAMPLES_QUICK=1`` so that each example runs in seconds;
the figures and numbers of a full run need the default settings.
"""

import os

QUICK = os.environ.get("SKLEARN_SSVAE_EXAMPLES_QUICK") == "1"
EPOCHS = 2 if QUICK else 100
