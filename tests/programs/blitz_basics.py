"""The 60-minute blitz's first three parts: tensors, autograd, and a LeNet trained by hand.

Reproduces pytorch/tutorials beginner_source/blitz/tensor_tutorial.py, autograd_tutorial.py and
neural_networks_tutorial.py: tensor creation (``torch.tensor``, ``from_numpy``, ``ones_like``,
``rand_like(dtype=)``, ``rand(shape)``), attributes, indexing and slice assignment, ``torch.cat``,
``@``/``matmul(out=)``/``*``/``mul(out=)``, ``sum().item()``, ``add_``, the NumPy bridge sharing
memory both ways; autograd on ``resnet18`` (``(prediction - labels).sum().backward()``,
``SGD(momentum=0.9).step()``), ``Q.backward(gradient=external_grad)``, ``requires_grad``
propagation, freezing and replacing ``model.fc``; LeNet with ``F.max_pool2d``, ``print(net)``,
``out.backward(torch.randn(1, 10))``, ``MSELoss``, ``grad_fn.next_functions``, the hand update
``f.data.sub_(f.grad.data * learning_rate)`` and the ``optim.SGD`` loop.
Changed: imports (unigrad for torch; ``support.unigrad_vision`` for torchvision's ResNet-18 and
its weights); the neural-network part's optimizer snippet runs ``--steps`` times (default 1, as
the tutorial) and prints the loss of each step.
"""
import argparse

import numpy as np
import unigrad as torch
import unigrad.nn as nn
import unigrad.nn.functional as F
import unigrad.optim as optim
from support.unigrad_vision.models import ResNet18_Weights, resnet18

parser = argparse.ArgumentParser()
parser.add_argument('--steps', type=int, default=1)
options = parser.parse_args()

# --- tensor_tutorial.py --------------------------------------------------------------------------
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \n {x_ones} \n")
x_rand = torch.rand_like(x_data, dtype=torch.float)
print(f"Random Tensor: \n {x_rand} \n")
shape = (2, 3,)
rand_tensor = torch.rand(shape)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Random Tensor: \n {rand_tensor} \n")
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")
tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())
tensor = torch.ones(4, 4)
tensor[:, 1] = 0
print(tensor)
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(tensor)
torch.matmul(tensor, tensor.T, out=y3)
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(f"equal products: {torch.equal(y1, y3) and torch.equal(z1, z3)}")
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))
print(tensor, "\n")
tensor.add_(5)
print(tensor)
t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")

# --- autograd_tutorial.py ------------------------------------------------------------------------
model = resnet18(weights=ResNet18_Weights.DEFAULT)
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 1000)
prediction = model(data)  # forward pass
loss = (prediction - labels).sum()
loss.backward()  # backward pass
optim_ = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optim_.step()  # gradient descent

a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a ** 3 - b ** 2
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(9 * a ** 2 == a.grad)
print(-2 * b == b.grad)

x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)
a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")

model = resnet18(weights=ResNet18_Weights.DEFAULT)
for param in model.parameters():
    param.requires_grad = False  # frozen
model.fc = nn.Linear(512, 10)  # a new, trainable classifier
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)


# --- neural_networks_tutorial.py -----------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))  # (N, 6, 28, 28)
        s2 = F.max_pool2d(c1, (2, 2))  # (N, 6, 14, 14)
        c3 = F.relu(self.conv2(s2))  # (N, 16, 10, 10)
        s4 = F.max_pool2d(c3, 2)  # (N, 16, 5, 5)
        s4 = torch.flatten(s4, 1)  # (N, 400)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        output = self.fc3(f6)
        return output


net = Net()
print(net)
params = list(net.parameters())
print(len(params))
print(params[0].size())

input = torch.randn(1, 1, 32, 32)
out = net(input)
print(out)
net.zero_grad()
out.backward(torch.randn(1, 10))

output = net(input)
target = torch.randn(10)
target = target.view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)
print(loss)
print(loss.grad_fn)  # MSELoss
print(loss.grad_fn.next_functions[0][0])  # Linear
print(loss.grad_fn.next_functions[0][0].next_functions[0][0])  # ReLU

net.zero_grad()
print('conv1.bias.grad before backward')
print(net.conv1.bias.grad)
loss.backward()
print('conv1.bias.grad after backward')
print(net.conv1.bias.grad)

learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)

optimizer = optim.SGD(net.parameters(), lr=0.01)
for step in range(options.steps):
    optimizer.zero_grad()
    output = net(input)
    loss = criterion(output, target)
    loss.backward()
    optimizer.step()
    print(f"step {step} loss {loss.item():.6f}")
