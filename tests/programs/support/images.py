"""Synthetic image sets in the shapes of MNIST, Fashion-MNIST and CIFAR-10 (NumPy only).

Every image is drawn from scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes),
scaled up, so the classification tasks are learnable like the real ones. The first pass over the
digits is used as is; further samples are shifted copies. Sizes come from the caller or from
``SUPPORT_TRAIN_SAMPLES`` / ``SUPPORT_TEST_SAMPLES``.
"""
from __future__ import annotations

import functools
import gzip
import importlib.util
import os
import pathlib

import numpy as np


def split_size(train: bool, default: int) -> int:
    """The number of samples of a split: the environment's setting, else ``default``."""
    value = os.environ.get("SUPPORT_TRAIN_SAMPLES" if train else "SUPPORT_TEST_SAMPLES")
    return int(value) if value else default


@functools.lru_cache(maxsize=None)
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as (images (1797, 8, 8) float64 in [0, 16], labels int64).

    Read straight from the CSV that ``sklearn.datasets.load_digits`` reads, which saves the
    second it takes to import scikit-learn.
    """
    spec = importlib.util.find_spec("sklearn")
    path = pathlib.Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    if path.exists():
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",")
    else:
        from sklearn.datasets import load_digits
        bunch = load_digits()
        table = np.concatenate([bunch.data, bunch.target[:, None]], axis=1)
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)


@functools.lru_cache(maxsize=None)
def _digit_split(train: bool) -> tuple[np.ndarray, np.ndarray]:
    """A shuffled 80/20 split, interleaved so that any prefix holds every class about equally
    (small CI-sized datasets are prefixes)."""
    images, labels = digits()
    order = np.random.default_rng(0).permutation(len(images))
    cut = int(0.8 * len(images))
    chosen = order[:cut] if train else order[cut:]
    rank = np.empty(len(chosen), dtype=np.int64)
    for k in range(10):
        members = np.flatnonzero(labels[chosen] == k)
        rank[members] = np.arange(len(members))
    chosen = chosen[np.lexsort((labels[chosen], rank))]
    return images[chosen], labels[chosen]


def _interpolation_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) weights of linear interpolation with aligned pixel centres."""
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    centres = np.clip(centres, 0, n_in - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, n_in - 1)
    frac = centres - low
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), low] += 1 - frac
    m[np.arange(n_out), high] += frac
    return m


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of an (H, W) or (H, W, C) array, keeping its dtype."""
    rows = _interpolation_matrix(height, image.shape[0])
    cols = _interpolation_matrix(width, image.shape[1])
    data = image.astype(np.float64)
    if data.ndim == 2:
        out = rows @ data @ cols.T
    else:
        out = np.einsum("hi,ijc,wj->hwc", rows, data, cols)
    if image.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(image.dtype)


def _scaled_digits(train: bool, side: int) -> tuple[np.ndarray, np.ndarray]:
    images, labels = _digit_split(train)
    rows = _interpolation_matrix(side, 8)
    scaled = np.einsum("hi,nij,wj->nhw", rows, images, rows) / 16.0
    return np.clip(scaled, 0.0, 1.0), labels


def _shift(index: int, base: int, rng: np.random.Generator, reach: int) -> tuple[int, int]:
    if index < base:
        return 0, 0
    return tuple(int(v) for v in rng.integers(-reach, reach + 1, size=2))


def mnist_like(train: bool, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) uint8 digits centred in a 20x20 box like MNIST's, and their labels."""
    scaled, labels = _scaled_digits(train, 20)
    rng = np.random.default_rng(seed + (0 if train else 1))
    out = np.zeros((n, 28, 28), dtype=np.uint8)
    targets = np.empty(n, dtype=np.int64)
    for i in range(n):
        j = i % len(scaled)
        dy, dx = _shift(i, len(scaled), rng, 2)
        out[i, 4 + dy:24 + dy, 4 + dx:24 + dx] = np.rint(scaled[j] * 255).astype(np.uint8)
        targets[i] = labels[j]
    return out, targets


def fashion_like(train: bool, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's shapes: the MNIST stand-in with striped, thickened strokes."""
    images, targets = mnist_like(train, n, seed=7)
    stripes = (0.6 + 0.4 * (np.arange(28) % 4 < 2))[None, :, None]
    thick = np.maximum(images, np.roll(images, 1, axis=2))
    return np.rint(thick * stripes).astype(np.uint8), targets


_PALETTE = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
                     [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60],
                     [250, 190, 212]], dtype=np.float64)


def cifar_like(train: bool, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 32, 32, 3) uint8 colour images: a class-coloured digit on a noisy background."""
    scaled, labels = _scaled_digits(train, 24)
    rng = np.random.default_rng(11 if train else 12)
    out = np.empty((n, 32, 32, 3), dtype=np.uint8)
    targets = np.empty(n, dtype=np.int64)
    for i in range(n):
        j = i % len(scaled)
        dy, dx = rng.integers(0, 9, size=2)
        background = rng.uniform(40, 120, size=(4, 4, 3))
        canvas = resize(background, 32, 32) + rng.normal(0, 12, size=(32, 32, 3))
        mask = scaled[j][:, :, None]
        window = canvas[dy:dy + 24, dx:dx + 24]
        canvas[dy:dy + 24, dx:dx + 24] = window * (1 - mask) + _PALETTE[labels[j]] * mask
        out[i] = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
        targets[i] = labels[j]
    return out, targets


def random_images(n: int, shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """(n, H, W, C) uint8 noise images, for FakeData and image folders."""
    c, h, w = shape
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w, c), dtype=np.uint8)


def write_image_folder(root: str | os.PathLike, classes: list[str], per_class: int, size: int,
                       seed: int = 0) -> None:
    """An ImageFolder tree ``root/<class>/<i>.npy`` of (size, size, 3) uint8 images.

    Class ``k`` is the colour CIFAR stand-in of digit ``k``, so folders are learnable.
    """
    images, labels = cifar_like(True, max(per_class * len(classes) * 12, 600))
    rng = np.random.default_rng(seed)
    for k, name in enumerate(classes):
        folder = pathlib.Path(root) / name
        folder.mkdir(parents=True, exist_ok=True)
        members = np.flatnonzero(labels == k % 10)
        for i, index in enumerate(rng.choice(members, size=per_class, replace=len(members) < per_class)):
            np.save(folder / f"{i:05d}.npy", resize(images[index], size, size))
