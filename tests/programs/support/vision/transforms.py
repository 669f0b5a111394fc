"""``torchvision.transforms`` stand-ins for the transforms the programs use.

Geometric transforms take the NumPy "images" of ``support.vision.datasets``; ``ToTensor`` turns
them into float tensors in [0, 1] (C, H, W) as torchvision does with PIL images; ``Normalize``
works on tensors. Random choices draw from the framework's generator, as torchvision's do.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import _framework, images

torch = _framework.get()


def _pair(size):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    return tuple(size)


class Compose:
    def __init__(self, transforms) -> None:
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


class Lambda:
    def __init__(self, lambd) -> None:
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class ToTensor:
    """(H, W[, C]) uint8 array -> float32 tensor (C, H, W) divided by 255."""

    def __call__(self, pic):
        arr = np.asarray(pic)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        scale = 255.0 if arr.dtype == np.uint8 else 1.0
        return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1), dtype=np.float32) / scale)


class Normalize:
    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        mean = torch.as_tensor(self.mean, dtype=tensor.dtype, device=tensor.device).view(-1, 1, 1)
        std = torch.as_tensor(self.std, dtype=tensor.dtype, device=tensor.device).view(-1, 1, 1)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std


class Resize:
    """An int resizes the shorter side (keeping the aspect ratio); a pair sets (h, w)."""

    def __init__(self, size, interpolation=None, antialias=True) -> None:
        self.size = size

    def __call__(self, img):
        h, w = img.shape[:2]
        if isinstance(self.size, numbers.Number):
            short, long_ = (h, w) if h <= w else (w, h)
            new_short, new_long = int(self.size), int(self.size * long_ / short)
            oh, ow = (new_short, new_long) if h <= w else (new_long, new_short)
        else:
            oh, ow = self.size
        return images.resize(img, oh, ow)


class CenterCrop:
    def __init__(self, size) -> None:
        self.size = _pair(size)

    def __call__(self, img):
        h, w = img.shape[:2]
        th, tw = self.size
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        return img[top:top + th, left:left + tw]


class RandomHorizontalFlip:
    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        if torch.rand(1).item() < self.p:
            return np.ascontiguousarray(img[:, ::-1])
        return img


class RandomCrop:
    def __init__(self, size, padding=None) -> None:
        self.size, self.padding = _pair(size), padding

    def __call__(self, img):
        if self.padding:
            pad = [(self.padding, self.padding)] * 2 + [(0, 0)] * (img.ndim - 2)
            img = np.pad(img, pad)
        h, w = img.shape[:2]
        th, tw = self.size
        i = int(torch.randint(0, h - th + 1, size=(1,)).item())
        j = int(torch.randint(0, w - tw + 1, size=(1,)).item())
        return img[i:i + th, j:j + tw]


class RandomResizedCrop:
    """A random area and aspect ratio crop, resized to ``size`` (torchvision's sampling)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0)) -> None:
        self.size, self.scale, self.ratio = _pair(size), scale, ratio

    def _params(self, h, w):
        area = h * w
        log_ratio = np.log(self.ratio)
        for _ in range(10):
            target = area * torch.empty(1).uniform_(self.scale[0], self.scale[1]).item()
            aspect = float(np.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1]).item()))
            cw, ch = int(round(np.sqrt(target * aspect))), int(round(np.sqrt(target / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                i = int(torch.randint(0, h - ch + 1, size=(1,)).item())
                j = int(torch.randint(0, w - cw + 1, size=(1,)).item())
                return i, j, ch, cw
        return 0, 0, h, w

    def __call__(self, img):
        i, j, ch, cw = self._params(*img.shape[:2])
        return images.resize(img[i:i + ch, j:j + cw], *self.size)
