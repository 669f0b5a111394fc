"""The main job: a small CNN trained on scikit-learn's handwritten digits (8x8, 10 classes).

It trains on the chosen device with a progress bar, reports test accuracy on a fixed 20% split,
saves a checkpoint, reloads it into a fresh model and checks the predictions are identical, and
optionally logs to TensorBoard. With ``amp`` it trains under ``unigrad.autocast`` (the device's
low-precision dtype: bfloat16 on the CPU) with a ``GradScaler`` where that dtype is float16.
"""
from __future__ import annotations

import os
import tempfile
import time

import numpy as np

import unigrad
from unigrad import nn
from unigrad.utils.data import DataLoader, TensorDataset

ACCURACY_TARGET = 0.97


class DigitsCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def load_digits_split(seed: int = 0):
    """Digits scaled to [0, 1], split 80/20 with a fixed permutation."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise SystemExit("the demo needs scikit-learn's digits: pip install 'unigrad[demo]'") from error
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    cut = int(0.8 * len(labels))
    train, test = order[:cut], order[cut:]
    return (images[train], labels[train]), (images[test], labels[test])


def _progress(iterable, total, description):
    try:
        from tqdm import tqdm
        return tqdm(iterable, total=total, desc=description, leave=False, dynamic_ncols=True,
                    disable=None, mininterval=0.5)
    except ImportError:
        return iterable


def predict(model: nn.Module, images, device, batch_size: int = 256):
    model.eval()
    outputs = []
    with unigrad.no_grad():
        for start in range(0, len(images), batch_size):
            batch = unigrad.tensor(images[start:start + batch_size], device=device)
            outputs.append(model(batch).argmax(dim=1).cpu().numpy())
    return np.concatenate(outputs)


def run(device=None, epochs: int = 15, batch_size: int = 64, lr: float = 3e-3, seed: int = 0,
        logdir=None, checkpoint=None, amp: bool = False) -> float:
    """Train, evaluate, checkpoint and verify; returns the test accuracy. ``amp``: mixed precision."""
    unigrad.manual_seed(seed)
    device = unigrad.device(device) if device else unigrad.get_default_device()
    (x_train, y_train), (x_test, y_test) = load_digits_split(seed)
    train = TensorDataset(unigrad.tensor(x_train, device=device), unigrad.tensor(y_train, device=device))
    loader = DataLoader(train, batch_size=batch_size, shuffle=True)
    model = DigitsCNN().to(device)
    optimizer = unigrad.optim.Adam(model.parameters(), lr=lr)
    scheduler = unigrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(loader))
    loss_fn = nn.CrossEntropyLoss()
    low = unigrad.get_autocast_dtype(device.type)
    # float16 gradients may underflow: scale the loss (bfloat16 has float32's range and needs none)
    scaler = unigrad.amp.GradScaler(device.type, enabled=amp and low is unigrad.float16)
    writer = None
    if logdir:
        from unigrad.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(logdir)
    precision = f"mixed precision ({low.name} autocast)" if amp else "float32"
    print(f"training a CNN on {len(x_train)} digits (8x8) on {device} in {precision}; testing on {len(x_test)}")
    started = time.perf_counter()
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        bar = _progress(loader, len(loader), f"epoch {epoch}/{epochs}")
        seen, epoch_start, total_loss = 0, time.perf_counter(), 0.0
        for images, labels in bar:
            optimizer.zero_grad()
            with unigrad.autocast(device.type, enabled=amp):
                loss = loss_fn(model(images), labels)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            step += 1
            seen += len(labels)
            value = loss.item()
            total_loss += value * len(labels)
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{value:.3f}", samples_per_s=f"{seen / (time.perf_counter() - epoch_start):.0f}")
            if writer is not None:
                writer.add_scalar("train/loss", value, step)
        if writer is not None:
            writer.add_scalar("train/lr", scheduler.get_last_lr()[0], step)
        print(f"  epoch {epoch:2d}  loss {total_loss / seen:.4f}")
    elapsed = time.perf_counter() - started
    predictions = predict(model, x_test, device)
    accuracy = float((predictions == y_test).mean())
    print(f"test accuracy {accuracy:.4f} (target {ACCURACY_TARGET}) after {epochs} epochs in {elapsed:.1f} s")
    if writer is not None:
        writer.add_scalar("test/accuracy", accuracy, step)
        writer.close()
    _verify_checkpoint(model, x_test, predictions, device, checkpoint)
    return accuracy


def _verify_checkpoint(model, images, predictions, device, path=None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = path or os.path.join(scratch, "digits-cnn.ckpt")
        unigrad.save({"model": model.state_dict(), "format": "digits-cnn"}, path)
        restored = DigitsCNN().to(device)
        restored.load_state_dict(unigrad.load(path)["model"])
        same = np.array_equal(predict(restored, images, device), predictions)
        print(f"checkpoint saved to {path} and reloaded: predictions "
              f"{'identical' if same else 'DIFFER'}")
        if not same:
            raise RuntimeError("reloaded checkpoint gives different predictions")
