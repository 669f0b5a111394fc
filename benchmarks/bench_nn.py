"""CNN and LSTM benchmarks: unigrad (cpu) vs PyTorch CPU side by side in one process.

    python benchmarks/bench_nn.py [--repeat 5] [--threads 2] [--only cnn|lstm] [--cpu-time]

Workloads (batch 64): the MNIST-style CNN training step (SGD momentum) and its inference forward,
and LSTM(100, 256, num_layers=2, batch_first) + Linear(256, 10) over 28 steps with Adam.
Prints the best time per step of each and the ratio unigrad / torch.
"""
from __future__ import annotations

from bench_core import bench_arguments, best_times


def cnn(lib):
    nn, F = lib.nn, lib.nn.functional

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
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)

    lib.manual_seed(0)
    model = Net()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = lib.randn(64, 1, 28, 28)
    y = lib.randint(0, 10, (64,))

    def train_step():
        model.train()
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()

    def inference():
        model.eval()
        with lib.no_grad():
            model(x)

    return {"CNN training step (batch 64)": (train_step, 3),
            "CNN inference forward (batch 64)": (inference, 5)}


def lstm(lib):
    nn = lib.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(100, 256, num_layers=2, batch_first=True)
            self.fc = nn.Linear(256, 10)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.fc(out[:, -1])

    lib.manual_seed(0)
    model = Classifier()
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    x = lib.randn(64, 28, 100)
    y = lib.randint(0, 10, (64,))

    def train_step():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    return {"LSTM(100,256,2 layers) + Linear, Adam step (batch 64, T=28)": (train_step, 3)}


def main() -> None:
    args, torch = bench_arguments(
        __doc__, 5, lambda parser: parser.add_argument("--only", choices=["cnn", "lstm"], default=None))
    import time

    import unigrad
    clock = time.process_time if args.cpu_time else time.perf_counter
    print(f"unigrad {unigrad.__version__} (cpu) vs torch {torch.__version__ if torch else '-'} CPU, "
          f"{args.threads} threads, best of {args.repeat}")
    print(f"{'workload':<62} {'unigrad':>10} {'torch':>10} {'ratio':>6}")
    builders = [b for b in (cnn, lstm) if args.only in (None, b.__name__)]
    for build in builders:
        ours = build(unigrad)
        theirs = build(torch) if torch is not None else {}
        for name, (fn, number) in ours.items():
            if name in theirs:
                t_ours, t_theirs = best_times([fn, theirs[name][0]], number, args.repeat, clock)
                print(f"{name:<62} {t_ours * 1e3:>7.1f} ms {t_theirs * 1e3:>7.1f} ms {t_ours / t_theirs:>6.2f}")
            else:
                (t_ours,) = best_times([fn], number, args.repeat, clock)
                print(f"{name:<62} {t_ours * 1e3:>7.1f} ms {'-':>10} {'-':>6}")


if __name__ == "__main__":
    main()
