"""Dive into Deep Learning, linear regression from scratch and concise.

Reproduces d2l-ai/d2l-en chapter_linear-networks/linear-regression-scratch.md and
linear-regression-concise.md (PyTorch tabs, with the d2l library's ``synthetic_data``, ``linreg``,
``squared_loss``, ``sgd`` and ``load_array``): data drawn with ``torch.normal``, a
``data_iter`` generator over shuffled ``torch.tensor`` indices, parameters with
``requires_grad=True``, ``l.sum().backward()``, ``param -= lr * param.grad / batch_size`` under
``torch.no_grad()`` with ``grad.zero_()``; then ``TensorDataset``/``DataLoader``,
``nn.Sequential(nn.Linear(2, 1))``, ``net[0].weight.data.normal_``/``bias.data.fill_``,
``nn.MSELoss``, ``optim.SGD(lr=0.03)``, and the estimation errors of ``w`` and ``b``.
Changed: imports; the d2l library functions written into the file; ``torch.manual_seed(0)`` and
``random.seed(0)`` first (the book draws unseeded); ``--num-epochs`` (default 3, the book's).
"""
import argparse
import random

import unigrad as torch
from unigrad import nn
from unigrad.utils import data

parser = argparse.ArgumentParser()
parser.add_argument('--num-epochs', type=int, default=3)
options = parser.parse_args()
torch.manual_seed(0)
random.seed(0)


# --- the d2l library -----------------------------------------------------------------------------

def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def linreg(X, w, b):
    """The linear regression model."""
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    """Half the squared error, per example."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def load_array(data_arrays, batch_size, is_train=True):
    """A PyTorch data iterator over in-memory tensors."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


# --- linear-regression-scratch.md ----------------------------------------------------------------
true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)
print('features:', features[0], '\nlabel:', labels[0])


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    # examples are read in random order
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


batch_size = 10
for X, y in data_iter(batch_size, features, labels):
    print(X, '\n', y)
    break

w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)

lr = 0.03
num_epochs = options.num_epochs
net = linreg
loss = squared_loss

for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)  # minibatch loss of X and y
        # l has shape (batch_size, 1): sum it to a scalar for backward
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')

print(f'error in estimating w: {true_w - w.reshape(true_w.shape)}')
print(f'error in estimating b: {true_b - b}')

# --- linear-regression-concise.md ----------------------------------------------------------------
features, labels = synthetic_data(true_w, true_b, 1000)
data_iter = load_array((features, labels), batch_size)
print(next(iter(data_iter)))

net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.normal_(0, 0.01)
net[0].bias.data.fill_(0)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)

for epoch in range(num_epochs):
    for X, y in data_iter:
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f'epoch {epoch + 1}, loss {l:f}')

w = net[0].weight.data
print('error in estimating w:', true_w - w.reshape(true_w.shape))
b = net[0].bias.data
print('error in estimating b:', true_b - b)
