"""Dataset loaders (reading, downloading, checking) and the label-hiding helper."""

import gzip
import hashlib
import io
import pickle
import socket
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from sklearn_ssvae import datasets
from sklearn_ssvae.datasets import (
    DATA_HOME_ENV,
    KEYS,
    Source,
    get_data_home,
    load_cifar10,
    load_mnist,
    make_semi_supervised,
)


def test_load_mnist_from_shared_data(mnist):
    X_train, y_train, X_test, y_test = mnist
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert X_train.dtype == np.float32 and 0 <= X_train.min() and X_train.max() == 1
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                            1009]


def test_load_cifar10_from_shared_data(cifar10):
    X_train, y_train, X_test, y_test = cifar10
    assert X_train.shape == (50000, 3072) and X_test.shape == (10000, 3072)
    assert X_train.dtype == np.float32 and X_train.min() == 0 and X_train.max() == 1
    assert np.bincount(y_train).tolist() == [5000] * 10
    # Channels last: the per-channel means are CIFAR-10's well-known ones.
    means = X_train.reshape(-1, 32, 32, 3).mean(axis=(0, 1, 2), dtype=np.float64)
    np.testing.assert_allclose(means, [0.4914, 0.4822, 0.4465], atol=1e-4)


def test_data_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_HOME_ENV, str(tmp_path))
    assert get_data_home() == tmp_path
    assert get_data_home(tmp_path / "x") == tmp_path / "x"


def test_no_file_and_no_download_names_the_file_and_the_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="mnist.npz") as error:
        load_mnist(tmp_path, download=False)
    assert "train-images-idx3-ubyte.gz" in str(error.value) and str(tmp_path) in str(error.value)


# A miniature dataset served over HTTP from 127.0.0.1: the download path, end to end.

def _idx_gz(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.tobytes())


def _tiny_arrays(image_shape):
    rng = np.random.RandomState(0)
    return (rng.randint(0, 256, (6, *image_shape)).astype(np.uint8),
            rng.randint(0, 10, 6).astype(np.uint8),
            rng.randint(0, 256, (2, *image_shape)).astype(np.uint8),
            rng.randint(0, 10, 2).astype(np.uint8))


def _sha256(arrays):
    return {key: hashlib.sha256(a.tobytes()).hexdigest()
            for key, a in zip(KEYS, arrays, strict=True)}


def _cifar_archive(arrays):
    """A cifar-10-python.tar.gz in the official layout: pickled dicts, channel-major rows."""
    x_train, y_train, x_test, y_test = arrays
    parts = {f"data_batch_{i + 1}": (x_train[i : i + 1], y_train[i : i + 1]) for i in range(5)}
    parts["data_batch_5"] = (x_train[4:], y_train[4:])
    parts["test_batch"] = (x_test, y_test)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, (x, y) in parts.items():
            rows = x.transpose(0, 3, 1, 2).reshape(len(x), -1)
            data = pickle.dumps({b"data": rows, b"labels": [int(v) for v in y]})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/'site' on 127.0.0.1; yields (folder, base URL)."""
    site = tmp_path / "site"
    site.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                partial(SimpleHTTPRequestHandler, directory=str(site)))
    httpd.RequestHandlerClass.log_message = lambda *args: None
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _closed_port_url():
    """A URL on 127.0.0.1 where nothing listens (a connection there is refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _serve_mnist(site, url, monkeypatch, tamper=False):
    arrays = _tiny_arrays((28, 28))
    names = list(datasets.SOURCES["mnist"].files)
    files = {name: _idx_gz(a) for name, a in zip(names, arrays, strict=True)}
    md5 = {name: hashlib.md5(content).hexdigest() for name, content in files.items()}
    if tamper:
        files[names[0]] = files[names[0]][:-1] + b"x"
    for name, content in files.items():
        (site / name).write_bytes(content)
    source = Source(mirrors=(_closed_port_url(), url), files=md5,
                    decode=datasets._decode_mnist, array_sha256=_sha256(arrays))
    monkeypatch.setitem(datasets.SOURCES, "mnist", source)
    return arrays


def test_mnist_is_downloaded_checked_and_kept(server, tmp_path, monkeypatch):
    site, url = server
    arrays = _serve_mnist(site, url, monkeypatch)  # the first mirror refuses connections
    home = tmp_path / "home"
    X_train, y_train, X_test, y_test = load_mnist(home)
    np.testing.assert_array_equal(X_train, arrays[0].reshape(6, -1) / np.float32(255))
    np.testing.assert_array_equal(y_test, arrays[3])
    assert sorted(p.name for p in home.iterdir()) == ["mnist.npz"]  # no partial files left
    for name in datasets.SOURCES["mnist"].files:
        (site / name).unlink()
    np.testing.assert_array_equal(load_mnist(home)[0], X_train)  # read back, no download


def test_a_download_with_the_wrong_checksum_is_refused(server, tmp_path, monkeypatch):
    site, url = server
    _serve_mnist(site, url, monkeypatch, tamper=True)
    home = tmp_path / "home"
    with pytest.raises(OSError, match="not the published"):
        load_mnist(home)
    assert list(home.iterdir()) == []


def test_a_mirror_serving_another_file_is_passed_over(server, tmp_path, monkeypatch):
    site, url = server
    arrays = _serve_mnist(site, url, monkeypatch)
    (site / "bad").mkdir()
    for name in datasets.SOURCES["mnist"].files:  # e.g. an error page served with status 200
        (site / "bad" / name).write_bytes(b"<html>not here</html>")
    source = datasets.SOURCES["mnist"]
    monkeypatch.setitem(datasets.SOURCES, "mnist", Source(
        mirrors=(url + "bad/", url), files=source.files, decode=source.decode,
        array_sha256=source.array_sha256))
    np.testing.assert_array_equal(load_mnist(tmp_path / "home")[1], arrays[1])


def test_a_changed_file_is_refused(server, tmp_path, monkeypatch):
    site, url = server
    arrays = _serve_mnist(site, url, monkeypatch)
    home = tmp_path / "home"
    load_mnist(home)
    changed = dict(zip(KEYS, arrays, strict=True))
    changed["y_train"] = (arrays[1] + 1) % 10
    np.savez_compressed(home / "mnist.npz", **changed)
    with pytest.raises(ValueError, match="y_train of mnist has SHA-256"):
        load_mnist(home)


def test_cifar10_archive_is_decoded_channels_last(server, tmp_path, monkeypatch):
    site, url = server
    arrays = _tiny_arrays((32, 32, 3))
    archive = _cifar_archive(arrays)
    (site / "cifar-10-python.tar.gz").write_bytes(archive)
    monkeypatch.setitem(datasets.SOURCES, "cifar10", Source(
        mirrors=(url,), files={"cifar-10-python.tar.gz": hashlib.md5(archive).hexdigest()},
        decode=datasets._decode_cifar10, array_sha256=_sha256(arrays)))
    X_train, y_train, X_test, y_test = load_cifar10(tmp_path / "home")
    np.testing.assert_array_equal(X_train.reshape(-1, 32, 32, 3) * 255, arrays[0])
    np.testing.assert_array_equal(y_train, arrays[1])


def test_cifar10_batches_may_hold_only_arrays(server, tmp_path, monkeypatch):
    class Evil:
        def __reduce__(self):
            return (print, ("code ran",))

    site, url = server
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        data = pickle.dumps({b"data": Evil(), b"labels": []})
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    (site / "cifar-10-python.tar.gz").write_bytes(out.getvalue())
    monkeypatch.setitem(datasets.SOURCES, "cifar10", Source(
        mirrors=(url,),
        files={"cifar-10-python.tar.gz": hashlib.md5(out.getvalue()).hexdigest()},
        decode=datasets._decode_cifar10))
    with pytest.raises(pickle.UnpicklingError, match="builtins.print; refused"):
        load_cifar10(tmp_path / "home")


def test_make_semi_supervised_is_balanced_and_seeded():
    y = np.repeat(np.arange(4), 50)
    y_semi = make_semi_supervised(y, 20, random_state=0)
    kept = y_semi != -1
    assert np.bincount(y_semi[kept]).tolist() == [5, 5, 5, 5]
    np.testing.assert_array_equal(y_semi[kept], y[kept])
    np.testing.assert_array_equal(y_semi, make_semi_supervised(y, 20, random_state=0))
    with pytest.raises(ValueError, match="multiple"):
        make_semi_supervised(y, 21)


def test_make_semi_supervised_string_labels_use_object_marker():
    y = np.array(["a", "b"] * 10)
    y_semi = make_semi_supervised(y, 4, random_state=0)
    assert y_semi.dtype == object and (y_semi == -1).sum() == 16


def test_make_semi_supervised_unsigned_labels_keep_the_marker():
    y = np.repeat(np.arange(3, dtype=np.uint8), 10)
    y_semi = make_semi_supervised(y, 6, random_state=0)
    assert (y_semi == -1).sum() == 24
    assert set(y_semi[y_semi != -1]) == {0, 1, 2}
