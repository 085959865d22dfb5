"""MNIST and CIFAR-10 for the benchmarks and examples, and a helper to hide labels.

Each loader reads ``<data_home>/<name>.npz`` (keys ``x_train``, ``y_train``, ``x_test``,
``y_test``: uint8 images and labels in the official order, as the official files hold them).
``data_home`` is, in order: the argument, the ``SKLEARN_SSVAE_DATA`` environment variable,
``~/.cache/sklearn_ssvae``. When the file is missing and ``download=True``, the official files
are downloaded, checked against their published MD5 sums, decoded, and saved there as that
``.npz``. Every load checks the SHA-256 of each array against the known values, so a file that
is corrupt, truncated or another version of the data is refused with an error that says so.
"""

import gzip
import hashlib
import http.client
import io
import os
import pickle
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

from ._validation import UNLABELLED

DATA_HOME_ENV = "SKLEARN_SSVAE_DATA"
KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class Source:
    """Where a dataset comes from and what it must hash to.

    Attributes
    ----------
    mirrors : tuple of str
        Base URLs tried in order; each file is ``mirror + file name``.
    files : dict of str to str
        Official file names and their published MD5 sums.
    decode : callable
        ``decode(folder)`` reads the downloaded files and returns the four arrays (``KEYS``).
    array_sha256 : dict of str to str
        SHA-256 of each array's C-contiguous bytes.
    """

    mirrors: tuple
    files: dict
    decode: object
    array_sha256: dict = field(default_factory=dict)


def get_data_home(data_home=None):
    """The folder datasets are read from (see the module docstring)."""
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV, Path.home() / ".cache" / "sklearn_ssvae")
    return Path(data_home).expanduser()


def _read_idx(path):
    """An array from a gzipped IDX file (MNIST's format)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    n_dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape).copy()


def _decode_mnist(folder):
    return tuple(_read_idx(folder / name) for name in (
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    ))


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles CIFAR-10's python batches: dicts, lists, bytes, numbers and numpy arrays.

    Any other global a pickle names (a function to call, a class to build) is refused.
    """

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray",
                "_reconstruct"), ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"CIFAR-10 batch refers to {module}.{name}; refused.")
        return super().find_class(module, name)


def _decode_cifar10(folder):
    with tarfile.open(folder / "cifar-10-python.tar.gz", "r:gz") as archive:
        def batch(name):
            member = archive.extractfile(f"cifar-10-batches-py/{name}")
            content = _BatchUnpickler(io.BytesIO(member.read()), encoding="bytes").load()
            # Rows are 3072 values, channel-major (R plane, G plane, B plane): to (N, 32, 32, 3).
            images = np.asarray(content[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            return images.transpose(0, 2, 3, 1), np.asarray(content[b"labels"], dtype=np.uint8)

        train = [batch(f"data_batch_{i}") for i in range(1, 6)]
        x_test, y_test = batch("test_batch")
    return (np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]),
            x_test, y_test)


SOURCES = {
    "mnist": Source(
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "http://yann.lecun.com/exdb/mnist/"),
        files={
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        decode=_decode_mnist,
        array_sha256={
            "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
            "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
            "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
            "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
        },
    ),
    "cifar10": Source(
        mirrors=("https://www.cs.toronto.edu/~kriz/",),
        files={"cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a"},
        decode=_decode_cifar10,
        array_sha256={
            "x_train": "47af8b02cfcfb6cdf3dbbd1969ad7f1b70f4413f6f80f437b020ee4e5bc8304a",
            "y_train": "2b7cd2f24487317614016b72ffd53071c3062f592f0eb300c18a770d41ae1253",
            "x_test": "f9b1e2130bab680db56eb06d886f7f1ad0f1183907ceff4659d1735c890f5b04",
            "y_test": "cec8a24a1e92aa2ecaa0bbd3dbfa86bf6cd8759fbd209a832824c8cf0afca9d5",
        },
    ),
}


def _file_md5(path):
    digest = hashlib.md5(usedforsecurity=False)  # the published sums are MD5
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(source, folder, timeout):
    """Fetch every file of ``source`` into ``folder``, checking its MD5.

    Each file is tried at each mirror in turn; a mirror that fails, or serves a file with
    another MD5, is passed over.

    Returns
    -------
    list of str
        Why each mirror failed, when some file could be fetched from none; empty on success.
    """
    failures = []
    for name, md5 in source.files.items():
        for mirror in source.mirrors:
            url = mirror + name
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response, \
                        open(folder / name, "wb") as out:
                    for block in iter(lambda: response.read(1 << 20), b""):  # noqa: B023
                        out.write(block)
            except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
                failures.append(f"{url}: {error}")
                continue
            actual = _file_md5(folder / name)
            if actual == md5:
                break
            failures.append(f"{url}: MD5 {actual}, not the published {md5} (corrupt or not "
                            "the official file; not used)")
        else:
            return failures
    return []


def _check_arrays(name, arrays, source, origin):
    for key, array in zip(KEYS, arrays, strict=True):
        actual = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
        if actual != source.array_sha256[key]:
            raise ValueError(
                f"{origin}: array {key} of {name} has SHA-256 {actual}, not the expected "
                f"{source.array_sha256[key]}: corrupt, or another version of {name}."
                + (" Delete the file to download it again." if isinstance(origin, Path) else "")
            )


def fetch(name, data_home=None, download=True, timeout=60):
    """The four uint8 arrays of dataset ``name``, read or downloaded into ``data_home``.

    Parameters
    ----------
    name : {'mnist', 'cifar10'}
    data_home : str or path-like, default=None
        See the module docstring.
    download : bool, default=True
        Download the official files when ``<data_home>/<name>.npz`` is missing.
    timeout : float, default=60
        Seconds to wait for a server before trying the next mirror.

    Returns
    -------
    x_train, y_train, x_test, y_test : ndarray of uint8
    """
    source = SOURCES[name]
    home = get_data_home(data_home)
    path = home / f"{name}.npz"
    if path.is_file():
        try:
            with np.load(path) as data:
                missing = [key for key in KEYS if key not in data]
                arrays = tuple(data[key] for key in KEYS if key in data)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path} could not be read as a .npz file ({error}); delete it "
                             "to download it again.") from error
        if missing:
            raise ValueError(f"{path} lacks the arrays {missing}; it needs {list(KEYS)}.")
        _check_arrays(name, arrays, source, path)
        return arrays
    failures = ["download=False"]
    if download:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=home) as folder:
            failures = _download(source, Path(folder), timeout)
            if not failures:
                arrays = source.decode(Path(folder))
                _check_arrays(name, arrays, source, "the downloaded files")
                # Written in the temporary folder (same file system), then moved into place:
                # a reader never sees a partial file, and an interrupted save leaves nothing.
                partial = Path(folder) / f"{name}.npz"
                np.savez_compressed(partial, **dict(zip(KEYS, arrays, strict=True)))
                os.replace(partial, path)
                return arrays
    urls = [mirror + file for file in source.files for mirror in source.mirrors]
    raise FileNotFoundError(
        f"{path} not found, and the official files could not be downloaded "
        f"({'; '.join(failures)}). Put {name}.npz (uint8 arrays {', '.join(KEYS)}, as in the "
        f"official files) in {home}, pass data_home= (or set {DATA_HOME_ENV}) to the folder "
        f"that holds it, or download {', '.join(urls)} where a network is available."
    )


def load_mnist(data_home=None, download=True):
    """MNIST as flat float32 rows in [0, 1].

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding (or to receive) ``mnist.npz``; see the module docstring.
    download : bool, default=True
        Download and check the official files when ``mnist.npz`` is missing.

    Returns
    -------
    X_train : ndarray of shape (60000, 784), float32
    y_train : ndarray of shape (60000,), int64
    X_test : ndarray of shape (10000, 784), float32
    y_test : ndarray of shape (10000,), int64
    """
    return _as_rows(*fetch("mnist", data_home, download))


def load_cifar10(data_home=None, download=True):
    """CIFAR-10 as flat float32 rows in [0, 1], each a 32x32x3 image, channels last.

    Rows reshape to ``(32, 32, 3)`` (height, width, RGB): pass ``image_shape=(32, 32, 3)``
    with ``network='cnn'``. Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog,
    6 frog, 7 horse, 8 ship, 9 truck.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding (or to receive) ``cifar10.npz``; see the module docstring.
    download : bool, default=True
        Download and check the official archive when ``cifar10.npz`` is missing.

    Returns
    -------
    X_train : ndarray of shape (50000, 3072), float32
    y_train : ndarray of shape (50000,), int64
    X_test : ndarray of shape (10000, 3072), float32
    y_test : ndarray of shape (10000,), int64
    """
    return _as_rows(*fetch("cifar10", data_home, download))


def _as_rows(x_train, y_train, x_test, y_test):
    def rows(images):
        return images.reshape(len(images), -1).astype(np.float32) / 255.0

    return rows(x_train), y_train.astype(np.int64), rows(x_test), y_test.astype(np.int64)


def make_semi_supervised(y, n_labelled, random_state=None):
    """Keep ``n_labelled`` labels, balanced over the classes, and set the rest to -1.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Fully labelled target.
    n_labelled : int
        Labels to keep; must be a multiple of the number of classes.
    random_state : int, RandomState instance or None, default=None
        Seeds which rows keep their label.

    Returns
    -------
    ndarray of shape (n_samples,)
        ``y`` with all but the kept labels replaced by -1.
    """
    y = np.asarray(y)
    classes = np.unique(y)
    per_class, rest = divmod(n_labelled, len(classes))
    if rest:
        raise ValueError(
            f"n_labelled={n_labelled} is not a multiple of the {len(classes)} classes."
        )
    rng = check_random_state(random_state)
    keep = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in classes]
    )
    if y.dtype.kind in "OUS":
        dtype = object  # strings hold no -1; object arrays mix labels with the int -1
    else:
        dtype = np.result_type(y.dtype, np.int8)  # signed, so -1 does not wrap (uint8 labels)
    y_semi = np.full(len(y), UNLABELLED, dtype=dtype)
    y_semi[keep] = y[keep]
    return y_semi
