"""Learn sine waves with two stacked LSTMCells in float64, trained by LBFGS, then extrapolate.

Reproduces pytorch/examples time_sequence_prediction (generate_sine_wave.py + train.py): the data
file written with ``torch.save(data, open('traindata.pt', 'wb'))`` and read back with
``torch.load``; ``Sequence`` of ``nn.LSTMCell(1, 51)``/``nn.LSTMCell(51, 51)``/``nn.Linear`` with
float64 states, ``seq.double()``, ``input.split(1, dim=1)``, future prediction from its own
outputs; ``optim.LBFGS(lr=0.8)`` with a closure that prints its loss; test loss under
``torch.no_grad()``.
Changed: imports; both scripts in one file (the data is generated when ``traindata.pt`` is
missing); ``torch.load(..., weights_only=False)`` because the file holds a NumPy array, which
torch >= 2.6 refuses to load otherwise; plotting to PDF left out (matplotlib is not installed);
``--future``, ``--length`` and ``--samples`` options (defaulting to the original 1000, 1000 and
100) for short runs.
"""
from __future__ import print_function

import argparse
import os

import numpy as np
import unigrad as torch
import unigrad.nn as nn
import unigrad.optim as optim


def generate_sine_wave(T=20, L=1000, N=100):
    """N sine waves of length L and period 2*pi*T, each starting at a random phase."""
    np.random.seed(2)
    x = np.empty((N, L), 'int64')
    x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    data = np.sin(x / 1.0 / T).astype('float64')
    torch.save(data, open('traindata.pt', 'wb'))


class Sequence(nn.Module):
    def __init__(self):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):  # keep going, fed by its own predictions
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=15, help='steps to run')
    parser.add_argument('--future', type=int, default=1000, help='points predicted past the input')
    parser.add_argument('--length', type=int, default=1000, help='length of the generated waves')
    parser.add_argument('--samples', type=int, default=100, help='number of generated waves')
    opt = parser.parse_args()
    if not os.path.exists('traindata.pt'):
        generate_sine_wave(L=opt.length, N=opt.samples)
    np.random.seed(0)
    torch.manual_seed(0)
    data = torch.load('traindata.pt', weights_only=False)
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    seq = Sequence()
    seq.double()
    criterion = nn.MSELoss()
    # the whole data set fits in one batch, so LBFGS can be used
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    for i in range(opt.steps):
        print('STEP: ', i)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            print('loss:', loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = opt.future
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print('test loss:', loss.item())
            y = pred.detach().numpy()
