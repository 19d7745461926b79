"""Image datasets, as ``torchvision.datasets``: FashionMNIST and MNIST, read from IDX files,
CIFAR10, read from its Python batch files, and FakeData, random images made on demand.

    >>> from tinygrad_edu import datasets
    >>> train = datasets.FashionMNIST(train=True)      # reads /usr/share/datasets/fashion-mnist
    >>> image, label = train[0]
    >>> image.shape, image.dtype, label
    (tinygrad_edu.Size([1, 28, 28]), tinygrad_edu.float32, 9)
    >>> train.classes[label]
    'Ankle boot'

What an item is. torchvision returns a PIL image, which nearly every program turns
into a tensor at once with ``transforms.ToTensor()``. There is no PIL here, so:

- without a ``transform``, ``dataset[i]`` is ``(image, label)`` with ``image`` the
  float tensor ``ToTensor()`` would give: shape (1, 28, 28), values in [0, 1], the
  default float dtype (float32); ``label`` is a Python int;
- with a ``transform``, the transform receives the raw image as a NumPy uint8 array
  of shape (28, 28) (what ``numpy.asarray(pil_image)`` gives, and what torchvision's
  ``ToTensor`` also accepts), and ``dataset[i]`` is ``(transform(image), label)``.
  Colour images (CIFAR10, FakeData with three channels) are arrays (H, W, 3).

As in torchvision, ``dataset.data`` holds every image as a uint8 tensor (N, 28, 28)
and ``dataset.targets`` every label as an int64 tensor (N,).

Where the files are. Nothing is ever downloaded. The four IDX files
(``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte``, each gzipped (``.gz``) or not) are looked for in ``root``
itself (the layout of Debian's ``dataset-fashion-mnist`` package, installed to
``/usr/share/datasets/fashion-mnist``) and in ``root/FashionMNIST/raw`` (torchvision's
layout; ``root/MNIST/raw`` for MNIST).
"""
import gzip
import os
import pickle
import zlib

import numpy

import tinygrad_edu
from tinygrad_edu.utils.data.dataset import Dataset

try:     # what pickled arrays call (protocols up to 4, and 5)
    from numpy._core.multiarray import _reconstruct as _numpy_reconstruct
    from numpy._core.numeric import _frombuffer as _numpy_frombuffer
except ImportError:
    from numpy.core.multiarray import _reconstruct as _numpy_reconstruct
    from numpy.core.numeric import _frombuffer as _numpy_frombuffer

FASHION_MNIST_ROOT = "/usr/share/datasets/fashion-mnist"
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049
_IMAGE_SIZE = (28, 28)


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels.

    Args:
        root: folder holding the IDX files (or ``root/MNIST/raw`` holding them).
        train: the training split (True) or the test split (False).
        transform: applied to each image, a uint8 NumPy array (28, 28); see the module doc.
        target_transform: applied to each label (an int).
        download: nothing is downloaded; when the files are missing this raises an
            error that says how to get them.

    >>> test = MNIST("data", train=False)              # data/t10k-images-idx3-ubyte.gz ...
    >>> len(test), test.data.shape, test.targets.dtype
    (10000, tinygrad_edu.Size([10000, 28, 28]), tinygrad_edu.int64)
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    _how_to_get_files = ("MNIST is not packaged for Debian: copy the four IDX files of "
                         "http://yann.lecun.com/exdb/mnist/ into the folder")

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        split = "train" if train else "t10k"
        images_path = self._find_file(f"{split}-images-idx3-ubyte", download)
        labels_path = self._find_file(f"{split}-labels-idx1-ubyte", download)
        images = _read_idx(images_path, _IMAGES_MAGIC, self._hint())
        labels = _read_idx(labels_path, _LABELS_MAGIC, self._hint())
        _check_consistent(images, images_path, labels, labels_path, len(self.classes))
        self.data = tinygrad_edu.from_numpy(images)
        self.targets = tinygrad_edu.from_numpy(labels.astype(numpy.int64))

    @property
    def raw_folder(self):
        """Where torchvision keeps the IDX files: ``root/<ClassName>/raw``."""
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {name: index for index, name in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image, target = self.data[index], int(self.targets[index])
        if self.transform is None:
            image = _to_float_image(image)
        else:
            image = self.transform(image.numpy())
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _collated_batch(self, indices):
        """The batch ``default_collate`` would build from ``self[i]`` for each index, in one go."""
        plain = self.transform is None and self.target_transform is None
        if not plain or type(self).__getitem__ is not MNIST.__getitem__:
            return NotImplemented
        images = self.data[tinygrad_edu.tensor(indices, dtype=tinygrad_edu.int64, device=self.data.device)]
        targets = self.targets[tinygrad_edu.tensor(indices, dtype=tinygrad_edu.int64, device=self.targets.device)]
        return [_to_float_image(images.unsqueeze(1)), targets]

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {'Train' if self.train else 'Test'}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)

    def _find_file(self, name, download):
        folders = [self.root, self.raw_folder]
        for folder in folders:
            for candidate in (name, name + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.isfile(path):
                    return path
        reason = "download=True was given, but tinygrad_edu downloads nothing" if download else "not found"
        raise RuntimeError(f"{type(self).__name__}: {reason}: no file {name} or {name}.gz in "
                           f"{folders[0]!r} or {folders[1]!r}. {self._hint()}")

    def _hint(self):
        return f"{self._how_to_get_files} {self.root!r} (or {self.raw_folder!r})."


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 60,000 training and 10,000 test images of clothes, 28x28 pixels.

    Same arguments and items as MNIST; ``root`` defaults to where Debian's
    ``dataset-fashion-mnist`` package installs the files.

    >>> train = FashionMNIST(train=True)
    >>> len(train), train.classes[:3]
    (60000, ['T-shirt/top', 'Trouser', 'Pullover'])
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    _how_to_get_files = ("Install them with `apt-get install dataset-fashion-mnist` "
                         f"(root {FASHION_MNIST_ROOT!r}), or copy the four IDX files of "
                         "github.com/zalandoresearch/fashion-mnist into the folder")

    def __init__(self, root=FASHION_MNIST_ROOT, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, train, transform, target_transform, download)


class CIFAR10(Dataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images of 32x32 pixels in 10 classes.

    Reads the Python version's batch files (``data_batch_1`` ... ``data_batch_5``, ``test_batch``,
    ``batches.meta``) from ``root/cifar-10-batches-py``, where extracting
    ``cifar-10-python.tar.gz`` puts them. Nothing is downloaded (``download=True`` is accepted
    when the files are there). The files are pickles: they are read with an unpickler that
    builds only dicts, lists, strings, numbers and NumPy arrays, so a tampered file cannot run code.

    As in torchvision, ``data`` is a uint8 NumPy array (N, 32, 32, 3) and ``targets`` a list of
    ints; items are as the module doc says (a transform receives the (32, 32, 3) uint8 array).

    >>> train = CIFAR10("data", train=True)            # data/cifar-10-batches-py/data_batch_1 ...
    >>> image, label = train[0]
    >>> image.shape, train.classes[label]
    (tinygrad_edu.Size([3, 32, 32]), 'frog')
    """

    base_folder = "cifar-10-batches-py"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}
    _archive = ("cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar.html")

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self._check_files(download)
        paths = [self._path(name) for name in (self.train_list if train else self.test_list)]
        batches = [_load_pickle(path) for path in paths]
        images = numpy.vstack([_batch_field(batch, "data", path) for batch, path in zip(batches, paths)])
        self.data = images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.targets = [int(label) for batch in batches
                        for label in batch.get("labels", batch.get("fine_labels", []))]
        if len(self.targets) != len(self.data):
            raise RuntimeError(f"{self._path('')}: the batch files hold {len(self.data)} images but "
                               f"{len(self.targets)} labels; they should be equal.")
        self.classes = [_as_text(name) for name in _load_pickle(self._path(self.meta["filename"]))[self.meta["key"]]]
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image, target = self.data[index], self.targets[index]
        if self.transform is None:
            image = _to_float_image(tinygrad_edu.from_numpy(image.transpose(2, 0, 1).copy()))
        else:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self):
        return "\n".join([f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                          f"    Root location: {self.root}", f"    Split: {'Train' if self.train else 'Test'}"])

    def _path(self, name):
        return os.path.join(self.root, self.base_folder, name)

    def _check_files(self, download):
        names = self.train_list + self.test_list + [self.meta["filename"]]
        missing = [name for name in names if not os.path.isfile(self._path(name))]
        if missing:
            reason = "download=True was given, but tinygrad_edu downloads nothing" if download else "not found"
            archive, page = self._archive
            raise RuntimeError(f"{type(self).__name__}: {reason}: missing {', '.join(missing)} in "
                               f"{self._path('')!r}. Get {archive} (the Python version) from {page} and "
                               f"extract it into {self.root!r} (tar xzf {archive} -C {self.root}).")


class FakeData(Dataset):
    """``size`` random images of ``image_size`` (C, H, W) with random labels below ``num_classes``,
    as ``torchvision.datasets.FakeData``: item ``i`` is the same on every call (drawn from a
    generator seeded with ``i + random_offset``, leaving the global generator untouched).

    The pixels are ``randn`` values times 255, wrapped into uint8 as torchvision's ``ToPILImage``
    does; items are as the module doc says.

    >>> image, label = FakeData(size=100, image_size=(3, 32, 32))[0]
    >>> image.shape
    tinygrad_edu.Size([3, 32, 32])
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.transform = transform
        self.target_transform = target_transform
        self.random_offset = random_offset

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        generator = tinygrad_edu.Generator().manual_seed(index + self.random_offset)
        values = tinygrad_edu.randn(*self.image_size, generator=generator, device="cpu").numpy()
        target = int(generator.numpy.integers(0, self.num_classes))
        pixels = (numpy.trunc(values * numpy.float32(255)).astype(numpy.int64) % 256).astype(numpy.uint8)
        if self.transform is None:
            image = _to_float_image(tinygrad_edu.from_numpy(pixels))
        else:
            image = self.transform(pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0).copy())
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


def _to_float_image(uint8_image):
    """What ``ToTensor()`` makes of uint8 pixels: channel first, default float dtype, scaled to [0, 1]."""
    if uint8_image.dim() == 2:
        uint8_image = uint8_image.unsqueeze(0)
    return uint8_image.to(tinygrad_edu.get_default_dtype()) / 255


def _read_idx(path, expected_magic, hint):
    """The array stored in an IDX file (gzipped or not), checked against what MNIST files hold."""
    kind = "images" if expected_magic == _IMAGES_MAGIC else "labels"
    raw = _read_bytes(path, hint)
    if len(raw) < 4 or int.from_bytes(raw[:4], "big") != expected_magic:
        found = raw[:4].hex() if len(raw) >= 4 else f"only {len(raw)} bytes"
        raise RuntimeError(f"{path} is not an IDX {kind} file: its magic number should be {expected_magic} "
                           f"(0x{expected_magic:08x}), found {found}. {hint}")
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise RuntimeError(f"{path} is truncated: it ends inside its header. {hint}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if kind == "images" and shape[1:] != _IMAGE_SIZE:
        raise RuntimeError(f"{path} holds images of {'x'.join(map(str, shape[1:]))} pixels, expected 28x28. {hint}")
    expected_bytes, found_bytes = int(numpy.prod(shape)), len(raw) - header_size
    if found_bytes != expected_bytes:
        problem = "is truncated" if found_bytes < expected_bytes else "is longer than its header says"
        raise RuntimeError(f"{path} {problem}: its header announces {shape[0]} {kind} ({expected_bytes} bytes "
                           f"of data), but it holds {found_bytes} bytes of data. {hint}")
    return numpy.frombuffer(raw, numpy.uint8, offset=header_size).reshape(shape).copy()


def _read_bytes(path, hint):
    try:
        with (gzip.open if path.endswith(".gz") else open)(path, "rb") as file:
            return file.read()
    except (OSError, EOFError, zlib.error) as error:
        raise RuntimeError(f"{path} cannot be read ({error}); the file is damaged. {hint}") from None


def _check_consistent(images, images_path, labels, labels_path, num_classes):
    if len(images) != len(labels):
        raise RuntimeError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                           f"{len(labels)} labels; they should be equal.")
    if len(labels) and labels.max() >= num_classes:
        raise RuntimeError(f"{labels_path} holds the label {labels.max()}; labels should be 0 to {num_classes - 1}.")


class _BatchUnpickler(pickle.Unpickler):
    """Builds only what dataset batch files hold: the pickle machine's own dicts, lists, strings
    and numbers, and NumPy arrays; any other global (a function to call) is refused."""

    _allowed = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self._allowed:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a dataset batch file holds only "
                                         "dicts, lists, strings, numbers and NumPy arrays")
        if module == "_codecs":
            import codecs
            return codecs.encode
        if name == "_reconstruct":
            return _numpy_reconstruct
        if name == "_frombuffer":
            return _numpy_frombuffer
        return getattr(numpy, name)


def _load_pickle(path):
    try:
        with open(path, "rb") as file:
            loaded = _BatchUnpickler(file, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        raise RuntimeError(f"{path} cannot be read as a dataset batch file: {error}") from None
    if not isinstance(loaded, dict):
        raise RuntimeError(f"{path} should hold a dict, found a {type(loaded).__name__}")
    return {_as_text(key): value for key, value in loaded.items()}


def _batch_field(batch, key, path):
    if key not in batch:
        raise RuntimeError(f"{path}: the batch has no {key!r} entry (it has {sorted(batch)})")
    images = numpy.asarray(batch[key])
    if images.ndim != 2 or images.shape[1] != 3 * 32 * 32 or images.dtype != numpy.uint8:
        raise RuntimeError(f"{path}: {key!r} should be a uint8 array (N, 3072) of 32x32 RGB images, "
                           f"found {images.dtype} {images.shape}")
    return images


def _as_text(value):
    return value.decode("latin1") if isinstance(value, bytes) else value
