"""``python -m sklearn_ssvae``: the command line of :mod:`sklearn_ssvae.cli`."""

from sklearn_ssvae.cli import main

if __name__ == "__main__":
    main()
