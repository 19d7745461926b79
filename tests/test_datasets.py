"""FashionMNIST and MNIST: the real Debian files, small IDX files written here, and every error path."""
import gzip
import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import datasets
from tinygrad_edu.utils.data import DataLoader, default_collate

DEBIAN_ROOT = "/usr/share/datasets/fashion-mnist"
HAVE_FASHION_MNIST = os.path.isfile(os.path.join(DEBIAN_ROOT, "t10k-images-idx3-ubyte.gz"))
needs_fashion_mnist = pytest.mark.skipif(
    not HAVE_FASHION_MNIST, reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
TORCHVISION_FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def idx_bytes(array, magic):
    """An IDX file: big-endian magic, big-endian sizes, then the uint8 values."""
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_split(folder, split="train", count=6, gz=True, images=None, labels=None, images_bytes=None):
    """Write ``{split}-images/labels`` IDX files into ``folder``; returns (images, labels)."""
    rng = np.random.default_rng(count)
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8) if images is None else images
    labels = rng.integers(0, 10, count, dtype=np.uint8) if labels is None else labels
    os.makedirs(folder, exist_ok=True)
    files = {f"{split}-images-idx3-ubyte": images_bytes or idx_bytes(images, 2051),
             f"{split}-labels-idx1-ubyte": idx_bytes(labels, 2049)}
    for name, content in files.items():
        path = os.path.join(folder, name + (".gz" if gz else ""))
        with (gzip.open if gz else open)(path, "wb") as file:
            file.write(content)
    return images, labels


# -- the real files --

@pytest.fixture(scope="module")
def fashion_test():
    return datasets.FashionMNIST(train=False)


@needs_fashion_mnist
def test_real_test_split(fashion_test):
    assert len(fashion_test) == 10000 and fashion_test.root == DEBIAN_ROOT
    assert fashion_test.data.shape == (10000, 28, 28) and fashion_test.data.dtype == tg.uint8
    assert fashion_test.targets.shape == (10000,) and fashion_test.targets.dtype == tg.int64
    assert np.bincount(fashion_test.targets.numpy()).tolist() == [1000] * 10
    assert fashion_test.classes == TORCHVISION_FASHION_CLASSES
    assert fashion_test.class_to_idx["Ankle boot"] == 9


@needs_fashion_mnist
def test_real_items_are_like_to_tensor(fashion_test):
    with gzip.open(os.path.join(DEBIAN_ROOT, "t10k-images-idx3-ubyte.gz")) as file:
        pixels = np.frombuffer(file.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    image, label = fashion_test[123]
    assert image.shape == (1, 28, 28) and image.dtype == tg.float32 and isinstance(label, int)
    np.testing.assert_array_equal(image.numpy()[0], pixels[123].astype(np.float32) / 255)
    assert 0 <= image.numpy().min() and image.numpy().max() <= 1


@needs_fashion_mnist
def test_real_train_split():
    train = datasets.FashionMNIST(DEBIAN_ROOT, train=True)
    assert len(train) == 60000 and train.data.shape == (60000, 28, 28)
    assert train.targets.numpy().min() == 0 and train.targets.numpy().max() == 9
    assert "Number of datapoints: 60000" in repr(train) and "Split: Train" in repr(train)


@needs_fashion_mnist
def test_real_loader_batches(fashion_test):
    images, labels = next(iter(DataLoader(fashion_test, batch_size=64)))
    assert images.shape == (64, 1, 28, 28) and images.dtype == tg.float32
    assert labels.shape == (64,) and labels.dtype == tg.int64
    assert len(DataLoader(fashion_test, batch_size=64)) == 157


# -- small files written here --

@pytest.mark.parametrize("gz", [True, False])
def test_synthetic_files_load(tmp_path, gz):
    images, labels = write_split(tmp_path, "t10k", count=5, gz=gz)
    dataset = datasets.MNIST(tmp_path, train=False)
    assert len(dataset) == 5 and dataset.classes[3] == "3 - three"
    np.testing.assert_array_equal(dataset.data.numpy(), images)
    np.testing.assert_array_equal(dataset.targets.numpy(), labels)
    image, label = dataset[4]
    np.testing.assert_array_equal(image.numpy(), images[4][None].astype(np.float32) / 255)
    assert label == labels[4] and type(label) is int


def test_torchvision_layout(tmp_path):
    images, _ = write_split(tmp_path / "FashionMNIST" / "raw", "train", count=3)
    dataset = datasets.FashionMNIST(root=str(tmp_path))
    np.testing.assert_array_equal(dataset.data.numpy(), images)
    assert dataset.raw_folder == str(tmp_path / "FashionMNIST" / "raw")


def test_transforms_receive_uint8_arrays(tmp_path):
    images, labels = write_split(tmp_path, "train", count=4)
    seen = []

    def transform(image):
        seen.append(image)
        return tg.tensor(image.astype(np.float32)).flatten()

    dataset = datasets.MNIST(tmp_path, transform=transform, target_transform=lambda label: label + 100)
    image, label = dataset[1]
    assert isinstance(seen[0], np.ndarray) and seen[0].dtype == np.uint8 and seen[0].shape == (28, 28)
    np.testing.assert_array_equal(image.numpy(), images[1].reshape(-1))
    assert label == labels[1] + 100
    assert "Transform:" in repr(dataset) and "Target transform:" in repr(dataset)


def test_batches_equal_item_by_item_collation(tmp_path):
    write_split(tmp_path, "train", count=7)
    dataset = datasets.MNIST(tmp_path)
    fast = list(DataLoader(dataset, batch_size=3))
    slow = list(DataLoader(dataset, batch_size=3, collate_fn=lambda batch: default_collate(batch)))
    assert len(fast) == len(slow) == 3
    for fast_batch, slow_batch in zip(fast, slow):
        for ours, expected in zip(fast_batch, slow_batch):
            assert ours.dtype == expected.dtype and ours.shape == expected.shape
            np.testing.assert_array_equal(ours.numpy(), expected.numpy())


def test_data_and_targets_can_be_replaced(tmp_path):
    write_split(tmp_path, "train", count=6)
    dataset = datasets.MNIST(tmp_path)
    dataset.data, dataset.targets = dataset.data[:2], dataset.targets[:2]
    assert len(dataset) == 2 and len(list(DataLoader(dataset, batch_size=4))) == 1


# -- errors --

def test_missing_files_explain_how_to_get_them(tmp_path):
    with pytest.raises(RuntimeError, match=r"(?s)not found: no file train-images-idx3-ubyte or "
                                           r"train-images-idx3-ubyte.gz.*apt-get install dataset-fashion-mnist"):
        datasets.FashionMNIST(tmp_path)
    with pytest.raises(RuntimeError, match="download=True was given, but tinygrad_edu downloads nothing"):
        datasets.MNIST(tmp_path, download=True)


def test_download_true_with_files_present(tmp_path):
    write_split(tmp_path, "train", count=2)
    assert len(datasets.MNIST(tmp_path, download=True)) == 2


@pytest.mark.parametrize("gz", [True, False])
def test_bad_magic_number(tmp_path, gz):
    images = np.zeros((2, 28, 28), np.uint8)
    write_split(tmp_path, "train", count=2, gz=gz, images_bytes=idx_bytes(images, 2049))
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte(\.gz)? is not an IDX images file: "
                                           r"its magic number should be 2051 \(0x00000803\), found 00000801"):
        datasets.MNIST(tmp_path)


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_file(tmp_path, gz):
    content = idx_bytes(np.zeros((3, 28, 28), np.uint8), 2051)[:-10]
    write_split(tmp_path, "train", count=3, gz=gz, images_bytes=content)
    with pytest.raises(RuntimeError, match=r"is truncated: its header announces 3 images \(2352 bytes of data\), "
                                           r"but it holds 2342 bytes"):
        datasets.MNIST(tmp_path)


def test_file_ending_inside_header(tmp_path):
    write_split(tmp_path, "train", count=3, images_bytes=(2051).to_bytes(4, "big") + b"\x00\x00")
    with pytest.raises(RuntimeError, match="is truncated: it ends inside its header"):
        datasets.MNIST(tmp_path)


def test_longer_file(tmp_path):
    write_split(tmp_path, "train", count=1, images_bytes=idx_bytes(np.zeros((1, 28, 28), np.uint8), 2051) + b"xx")
    with pytest.raises(RuntimeError, match="is longer than its header says"):
        datasets.MNIST(tmp_path)


def test_wrong_image_size(tmp_path):
    write_split(tmp_path, "train", count=2, images_bytes=idx_bytes(np.zeros((2, 32, 32), np.uint8), 2051))
    with pytest.raises(RuntimeError, match="holds images of 32x32 pixels, expected 28x28"):
        datasets.MNIST(tmp_path)


def test_count_mismatch(tmp_path):
    write_split(tmp_path, "train", count=3, labels=np.zeros(2, np.uint8))
    with pytest.raises(RuntimeError, match="holds 3 images but .*train-labels-idx1-ubyte.gz holds 2 labels"):
        datasets.MNIST(tmp_path)


def test_label_out_of_range(tmp_path):
    write_split(tmp_path, "train", count=2, labels=np.array([3, 12], np.uint8))
    with pytest.raises(RuntimeError, match="holds the label 12; labels should be 0 to 9"):
        datasets.MNIST(tmp_path)


def test_damaged_gzip(tmp_path):
    write_split(tmp_path, "train", count=2)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.gz cannot be read \(.*\); the file is damaged"):
        datasets.MNIST(tmp_path)
