"""The classic MNIST-style CNN (conv-conv-pool-dropout-fc) on synthetic 28x28 images.

    python examples/cnn.py [--steps 20]
"""
import argparse

import unigrad as torch
import unigrad.nn.functional as F
from unigrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def make_data(n=256):
    """Each class is a bright square at its own position, plus noise."""
    labels = torch.randint(0, 10, (n,))
    images = torch.randn(n, 1, 28, 28) * 0.3
    for digit in range(10):
        rows = (labels == digit).nonzero(as_tuple=True)[0]
        r, c = 2 + (digit // 5) * 12, 2 + (digit % 5) * 5
        images[rows, :, r:r + 8, c:c + 4] += 1.0
    return images, labels


def main(steps: int = 20, seed: int = 0, batch_size: int = 64) -> list:
    torch.manual_seed(seed)
    images, labels = make_data()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels),
                                         batch_size=batch_size, shuffle=True)
    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    losses, step = [], 0
    while step < steps:
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
            if step >= steps:
                break
        scheduler.step()
        print(f"step {step:3d}  loss {losses[-1]:.4f}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    main(parser.parse_args().steps)
