"""Learning PyTorch with Examples: fitting sin(x) with a cubic, one abstraction at a time.

Reproduces the scripts of pytorch/tutorials beginner_source/pytorch_with_examples.rst:
examples_tensor/polynomial_tensor.py (gradients by hand on tensors), examples_autograd/
polynomial_autograd.py (``requires_grad`` scalars, updates under ``torch.no_grad()``,
``grad = None``), examples_autograd/polynomial_custom_function.py (``LegendrePolynomial3``, a
``torch.autograd.Function`` with ``ctx.save_for_backward``), examples_nn/polynomial_nn.py
(``x.unsqueeze(-1).pow(p)``, ``nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))``,
``MSELoss(reduction='sum')``, ``param -= learning_rate * param.grad``), examples_nn/
polynomial_optim.py (``RMSprop``), examples_nn/polynomial_module.py (a Module of four
``nn.Parameter`` scalars with a ``string()`` method) and examples_nn/dynamic_net.py (Python
control flow choosing 4th/5th-order terms with ``random.randint``, ``SGD(momentum=0.9)``).
Changed: imports; the seven scripts run one after another in one file, each printing its name
first; ``torch.manual_seed(0)`` and ``random.seed(0)`` first (the originals draw unseeded);
``--scale`` (default 1) divides every script's iteration count and logging interval for short
runs.
"""
import argparse
import math
import random

import unigrad as torch

parser = argparse.ArgumentParser()
parser.add_argument('--scale', type=int, default=1, help='divide the iteration counts by this')
options = parser.parse_args()


def iterations(n):
    return max(n // options.scale, 1)


def every(n):
    return max(n // options.scale, 1)


def polynomial_tensor():
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    a = torch.randn((), device=device, dtype=dtype)
    b = torch.randn((), device=device, dtype=dtype)
    c = torch.randn((), device=device, dtype=dtype)
    d = torch.randn((), device=device, dtype=dtype)
    learning_rate = 1e-6
    for t in range(iterations(2000)):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        if t % every(100) == every(100) - 1:
            print(t, loss)
        # gradients of the squared error, by hand
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')


def polynomial_autograd():
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype, device=device)
    y = torch.sin(x)
    a = torch.randn((), dtype=dtype, requires_grad=True, device=device)
    b = torch.randn((), dtype=dtype, requires_grad=True, device=device)
    c = torch.randn((), dtype=dtype, requires_grad=True, device=device)
    d = torch.randn((), dtype=dtype, requires_grad=True, device=device)
    learning_rate = 1e-6
    for t in range(iterations(2000)):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % every(100) == every(100) - 1:
            print(t, loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2 with its derivative 1.5 (5x^2 - 1) written out for backward."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def polynomial_custom_function():
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    # y = a + b * P3(c + d * x), started near the answer so it converges
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    for t in range(iterations(2000)):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % every(100) == every(100) - 1:
            print(t, loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    print(f'Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)')


def polynomial_nn():
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)  # (2000, 3): x, x^2, x^3 by broadcasting
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction='sum')
    learning_rate = 1e-6
    for t in range(iterations(2000)):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % every(100) == every(100) - 1:
            print(t, loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
          f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')


def polynomial_optim():
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction='sum')
    learning_rate = 1e-3
    optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
    for t in range(iterations(2000)):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % every(100) == every(100) - 1:
            print(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    linear_layer = model[0]
    print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
          f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')


class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'


def polynomial_module():
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    model = Polynomial3()
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    for t in range(iterations(2000)):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        if t % every(100) == every(100) - 1:
            print(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f'Result: {model.string()}')


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))
        self.e = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        """A cubic plus, chosen at random on every call, 4th or 4th and 5th powers sharing ``e``."""
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y

    def string(self):
        return (f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3 + '
                f'{self.e.item()} x^4 ? + {self.e.item()} x^5 ?')


def dynamic_net():
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    model = DynamicNet()
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    for t in range(iterations(30000)):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        if t % every(2000) == every(2000) - 1:
            print(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f'Result: {model.string()}')


torch.manual_seed(0)
random.seed(0)
for script in (polynomial_tensor, polynomial_autograd, polynomial_custom_function, polynomial_nn,
               polynomial_optim, polynomial_module, dynamic_net):
    print(f"== {script.__name__}")
    script()
