"""Dive into Deep Learning, batch normalization: LeNet with a hand-written BatchNorm, then nn's.

Reproduces d2l-ai/d2l-en chapter_convolutional-modern/batch-norm.md (PyTorch tab, d2l 0.17 with
the library's ``load_data_fashion_mnist``, ``train_ch6``, ``evaluate_accuracy_gpu``,
``Accumulator``, ``Timer``, ``accuracy``, ``try_gpu``): ``batch_norm`` switching on
``torch.is_grad_enabled()``, means over ``dim=(0, 2, 3), keepdim=True``, moving statistics
returned through ``.data``; a ``BatchNorm`` Module holding plain-tensor moving statistics moved
with ``.to(X.device)``; ``nn.Sequential`` LeNet with ``nn.Sigmoid``/``nn.AvgPool2d``/
``nn.Flatten``; ``train_ch6`` (``xavier_uniform_`` through ``net.apply``, ``SGD``,
``CrossEntropyLoss``, per-batch metrics under ``torch.no_grad()``); the learned ``gamma``/``beta``
read back with ``reshape((-1,))``; the concise net with ``nn.BatchNorm2d``/``nn.BatchNorm1d``.
Changed: imports; the library functions written into the file, the plotting ``Animator``
replaced by a line printed per epoch; Fashion-MNIST is the synthetic stand-in
(``support.unigrad_vision``); ``torch.manual_seed(0)`` first (the book draws unseeded);
``--num-epochs``, ``--lr``, ``--batch-size`` and ``--workers`` (defaulting to the book's 10, 1.0,
256 and the library's 4 loader workers) for short runs.
"""
import argparse
import time

import unigrad as torch
from unigrad import nn
from unigrad.utils import data
from support.unigrad_vision import datasets as vision_datasets, transforms

parser = argparse.ArgumentParser()
parser.add_argument('--num-epochs', type=int, default=10)
parser.add_argument('--lr', type=float, default=1.0)
parser.add_argument('--batch-size', type=int, default=256)
parser.add_argument('--workers', type=int, default=4)
options = parser.parse_args()
torch.manual_seed(0)


# --- the d2l library -----------------------------------------------------------------------------

class Timer:
    """Record multiple running times."""

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.time()

    def stop(self):
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def sum(self):
        return sum(self.times)


class Accumulator:
    """Running sums of ``n`` quantities."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    """The number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def try_gpu(i=0):
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f'cuda:{i}')
    return torch.device('cpu')


def load_data_fashion_mnist(batch_size, resize=None):
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = vision_datasets.FashionMNIST(root="../data", train=True, transform=trans, download=True)
    mnist_test = vision_datasets.FashionMNIST(root="../data", train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True, num_workers=options.workers),
            data.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=options.workers))


def evaluate_accuracy_gpu(net, data_iter, device=None):
    net.eval()
    if not device:
        device = next(iter(net.parameters())).device
    metric = Accumulator(2)  # correct predictions, predictions
    with torch.no_grad():
        for X, y in data_iter:
            X = X.to(device)
            y = y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device=try_gpu()):
    """Train a model with a GPU (defined in Chapter 6)."""
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    print('training on', device)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    timer, num_batches = Timer(), len(train_iter)
    for epoch in range(num_epochs):
        metric = Accumulator(3)  # loss sum, correct predictions, examples
        net.train()
        for i, (X, y) in enumerate(train_iter):
            timer.start()
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
            timer.stop()
            train_l = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        print(f'epoch {epoch + 1}: train loss {train_l:.4f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}')
    print(f'loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}')
    print(f'{metric[2] * num_epochs / timer.sum():.1f} examples/sec on {str(device)}')


# --- batch-norm.md -------------------------------------------------------------------------------

def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    # gradients on means training mode; off means prediction with the moving statistics
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            # fully connected: statistics per feature
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            # convolutional: statistics per channel, kept broadcastable
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta  # scale and shift
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    # num_features: outputs of a fully connected layer or channels of a convolution;
    # num_dims: 2 for fully connected, 4 for convolutional inputs
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.9)
        return Y


net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5), BatchNorm(6, num_dims=4), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), BatchNorm(16, num_dims=4), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
    nn.Linear(16 * 4 * 4, 120), BatchNorm(120, num_dims=2), nn.Sigmoid(),
    nn.Linear(120, 84), BatchNorm(84, num_dims=2), nn.Sigmoid(),
    nn.Linear(84, 10))

lr, num_epochs, batch_size = options.lr, options.num_epochs, options.batch_size
train_iter, test_iter = load_data_fashion_mnist(batch_size)
train_ch6(net, train_iter, test_iter, num_epochs, lr, try_gpu())

print(net[1].gamma.reshape((-1,)), net[1].beta.reshape((-1,)))

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
    nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
    nn.Linear(84, 10))
train_ch6(net, train_iter, test_iter, num_epochs, lr, try_gpu())
