"""``torchvision.datasets`` stand-ins: the same classes, attributes and items, synthetic images.

Images are ``uint8`` NumPy arrays in place of PIL images; ``download`` and ``root`` are accepted
and ignored (nothing is fetched), except by ``ImageFolder``, which reads a real directory tree of
``.npy`` images (see ``support.images.write_image_folder``).
"""
from __future__ import annotations

import os

import numpy as np

from .. import _framework, images

torch = _framework.get()


class VisionDataset(torch.utils.data.Dataset):
    def __init__(self, root=None, transform=None, target_transform=None) -> None:
        self.root = root
        self.transform = transform
        self.target_transform = target_transform

    def _finish(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


class MNIST(VisionDataset):
    """28x28 grey digits; ``data`` is a uint8 tensor (N, 28, 28), ``targets`` an int64 tensor."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        super().__init__(root, transform, target_transform)
        self.train = train
        self._images, labels = self._make(train, images.split_size(train, 1437 if train else 360))
        self.data = torch.from_numpy(self._images)
        self.targets = torch.from_numpy(labels)
        self._labels = labels

    @staticmethod
    def _make(train, n):
        return images.mnist_like(train, n)

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        return self._finish(self._images[index], int(self._labels[index]))

    def __len__(self) -> int:
        return len(self._images)


class FashionMNIST(MNIST):
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
               "Bag", "Ankle boot"]

    @staticmethod
    def _make(train, n):
        return images.fashion_like(train, n)


class CIFAR10(VisionDataset):
    """32x32 colour images; ``data`` is a uint8 array (N, 32, 32, 3), ``targets`` a list."""

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        super().__init__(root, transform, target_transform)
        self.train = train
        self.data, labels = images.cifar_like(train, images.split_size(train, 1437 if train else 360))
        self.targets = labels.tolist()
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        return self._finish(self.data[index], self.targets[index])

    def __len__(self) -> int:
        return len(self.data)


class FakeData(VisionDataset):
    """Random images with random labels, each fixed by its index (torchvision's FakeData)."""

    def __init__(self, size: int = 1000, image_size=(3, 224, 224), num_classes: int = 10,
                 transform=None, target_transform=None, random_offset: int = 0) -> None:
        super().__init__(None, transform, target_transform)
        self.size, self.image_size = size, tuple(image_size)
        self.num_classes, self.random_offset = num_classes, random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng = np.random.default_rng(index + self.random_offset)
        img = images.random_images(1, self.image_size, index + self.random_offset)[0]
        return self._finish(img, int(rng.integers(self.num_classes)))

    def __len__(self) -> int:
        return self.size


IMG_EXTENSIONS = (".npy",)


def default_loader(path: str) -> np.ndarray:
    return np.load(path)


class ImageFolder(VisionDataset):
    """``root/<class>/<image>``: classes from the sub-directories in sorted order."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None) -> None:
        super().__init__(root, transform, target_transform)
        self.classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
        if not self.classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {root}.")
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        valid = is_valid_file or (lambda p: p.lower().endswith(IMG_EXTENSIONS))
        self.samples = []
        for name in self.classes:
            for dirpath, _, files in sorted(os.walk(os.path.join(root, name))):
                for file in sorted(files):
                    path = os.path.join(dirpath, file)
                    if valid(path):
                        self.samples.append((path, self.class_to_idx[name]))
        self.imgs = self.samples
        self.targets = [s[1] for s in self.samples]
        self.loader = loader

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._finish(self.loader(path), target)

    def __len__(self) -> int:
        return len(self.samples)
