"""Training steps of real programs' models: unigrad (cpu) vs PyTorch CPU, interleaved in one process.

    OMP_NUM_THREADS=1 python benchmarks/bench_workloads.py [--threads 1] [--repeat 5] [--only NAME ...]
    python benchmarks/bench_workloads.py --profile NAME [--steps 3]

Each workload is one training step of the model of a public PyTorch program, at that program's
shapes: pytorch/examples word_language_model (LSTM and GRU: batch 20, bptt 35, emsize/nhid 200,
2 layers, hand-written SGD with clip_grad_norm_), dcgan (G and D of 64x64 images, batch 64, Adam),
time_sequence_prediction (two float64 LSTMCells of 51 over 99 steps, one LBFGS step of 20
evaluations), vae,
mnist_rnn, the mnist CNN, and nanoGPT (n_layer 4, n_head 4, n_embd 128, block 64, batch 12,
vocab 65, AdamW). Prints the best time per step of both and the ratio unigrad / torch.
``--profile NAME`` runs only unigrad's step under cProfile and prints the top functions.
"""
from __future__ import annotations

import math
import time
import warnings

from bench_core import bench_arguments, best_times


def word_language_model(lib, rnn_type: str):
    nn, F = lib.nn, lib.nn.functional
    ntoken, emsize, nhid, nlayers, batch, bptt = 100, 200, 200, 2, 20, 35

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.2)
            self.encoder = nn.Embedding(ntoken, emsize)
            self.rnn = getattr(nn, rnn_type)(emsize, nhid, nlayers, dropout=0.2)
            self.decoder = nn.Linear(nhid, ntoken)

        def forward(self, x, hidden):
            emb = self.drop(self.encoder(x))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            return F.log_softmax(self.decoder(output).view(-1, ntoken), dim=1), hidden

    lib.manual_seed(0)
    model = RNNModel()
    criterion = nn.NLLLoss()
    data = lib.randint(0, ntoken, (bptt, batch))
    targets = lib.randint(0, ntoken, (bptt * batch,))
    zeros = lib.zeros(nlayers, batch, nhid)
    state = {"hidden": (zeros, zeros) if rnn_type == "LSTM" else zeros}

    def step():
        model.train()
        hidden = state["hidden"]
        hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-20)
        state["hidden"] = hidden

    return step


def dcgan(lib):
    nn = lib.nn
    nz, ngf, ndf, nc, batch = 100, 64, 64, 1, 64

    generator = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    lib.manual_seed(0)
    criterion = nn.BCELoss()
    opt_d = lib.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))
    opt_g = lib.optim.Adam(generator.parameters(), lr=0.0002, betas=(0.5, 0.999))
    real = lib.randn(batch, nc, 64, 64)
    noise = lib.randn(batch, nz, 1, 1)

    def step():
        discriminator.zero_grad()
        label = lib.full((batch,), 1.0)
        error_real = criterion(discriminator(real).view(-1), label)
        error_real.backward()
        fake = generator(noise)
        label.fill_(0.0)
        error_fake = criterion(discriminator(fake.detach()).view(-1), label)
        error_fake.backward()
        opt_d.step()
        generator.zero_grad()
        label.fill_(1.0)
        error_g = criterion(discriminator(fake).view(-1), label)
        error_g.backward()
        opt_g.step()

    return step


def time_sequence_prediction(lib):
    nn = lib.nn

    class Sequence(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = nn.LSTMCell(1, 51)
            self.lstm2 = nn.LSTMCell(51, 51)
            self.linear = nn.Linear(51, 1)

        def forward(self, x):
            outputs = []
            h_t = lib.zeros(x.size(0), 51, dtype=lib.double)
            c_t = lib.zeros(x.size(0), 51, dtype=lib.double)
            h_t2 = lib.zeros(x.size(0), 51, dtype=lib.double)
            c_t2 = lib.zeros(x.size(0), 51, dtype=lib.double)
            for input_t in x.split(1, dim=1):
                h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                outputs += [self.linear(h_t2)]
            return lib.cat(outputs, dim=1)

    lib.manual_seed(0)
    length, samples = 100, 40
    phase = lib.randint(-80, 80, (samples, 1)).double()
    wave = lib.sin((lib.arange(length, dtype=lib.double).unsqueeze(0) + phase) / 20.0)
    x, y = wave[3:, :-1], wave[3:, 1:]
    seq = Sequence().double()
    criterion = nn.MSELoss()
    optimizer = lib.optim.LBFGS(seq.parameters(), lr=0.8)

    def step():
        def closure():
            optimizer.zero_grad()
            loss = criterion(seq(x), y)
            loss.backward()
            return loss
        optimizer.step(closure)

    return step


def vae(lib):
    nn, F = lib.nn, lib.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def forward(self, x):
            h1 = F.relu(self.fc1(x.view(-1, 784)))
            mu, logvar = self.fc21(h1), self.fc22(h1)
            z = mu + lib.randn_like(logvar) * lib.exp(0.5 * logvar)
            return lib.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar

    lib.manual_seed(0)
    model = VAE()
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    data = lib.rand(128, 1, 28, 28)

    def step():
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        bce = F.binary_cross_entropy(recon, data.view(-1, 784), reduction="sum")
        kld = -0.5 * lib.sum(1 + logvar - mu.pow(2) - logvar.exp())
        (bce + kld).backward()
        optimizer.step()

    return step


def mnist_rnn(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
            self.batchnorm = nn.BatchNorm1d(64)
            self.dropout1, self.dropout2 = nn.Dropout2d(0.25), nn.Dropout2d(0.5)
            self.fc1, self.fc2 = nn.Linear(64, 32), nn.Linear(32, 10)

        def forward(self, x):
            x = x.reshape(-1, 28, 28)
            output, _ = self.rnn(x)
            output = self.batchnorm(output[:, -1, :])
            output = self.dropout1(output)
            output = self.dropout2(F.relu(self.fc1(output)))
            return F.log_softmax(self.fc2(output), dim=1)

    lib.manual_seed(0)
    model = Net()
    optimizer = lib.optim.Adadelta(model.parameters(), lr=0.1)
    data, target = lib.randn(64, 1, 28, 28), lib.randint(0, 10, (64,))

    def step():
        model.train()
        optimizer.zero_grad()
        F.nll_loss(model(data), target).backward()
        optimizer.step()

    return step


def mnist_cnn(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
            self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
            self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = F.relu(self.fc1(lib.flatten(self.dropout1(x), 1)))
            return F.log_softmax(self.fc2(self.dropout2(x)), dim=1)

    lib.manual_seed(0)
    model = Net()
    optimizer = lib.optim.Adadelta(model.parameters(), lr=1.0)
    data, target = lib.randn(64, 1, 28, 28), lib.randint(0, 10, (64,))

    def step():
        model.train()
        optimizer.zero_grad()
        F.nll_loss(model(data), target).backward()
        optimizer.step()

    return step


def nanogpt(lib):
    nn, F = lib.nn, lib.nn.functional
    n_layer, n_head, n_embd, block, batch, vocab = 4, 4, 128, 64, 12, 65

    class LayerNorm(nn.Module):
        def __init__(self, ndim):
            super().__init__()
            self.weight = nn.Parameter(lib.ones(ndim))
            self.bias = None

        def forward(self, x):
            return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)
            self.c_proj = nn.Linear(n_embd, n_embd, bias=False)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(n_embd, dim=2)
            k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
            q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
            v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn, self.ln_2 = LayerNorm(n_embd), Attention(), LayerNorm(n_embd)
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd, bias=False), nn.GELU(),
                                     nn.Linear(4 * n_embd, n_embd, bias=False))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, n_embd), nn.Embedding(block, n_embd)
            self.h = nn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f = LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, vocab, bias=False)
            self.wte.weight = self.lm_head.weight

        def forward(self, idx, targets):
            t = idx.size(1)
            x = self.wte(idx) + self.wpe(lib.arange(0, t, dtype=lib.long))
            for b in self.h:
                x = b(x)
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)

    lib.manual_seed(0)
    model = GPT()
    for name, p in model.named_parameters():
        if name.endswith("c_proj.weight") or name.endswith("mlp.2.weight"):
            nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = lib.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))
    idx = lib.randint(0, vocab, (batch, block))
    targets = lib.randint(0, vocab, (batch, block))

    def step():
        loss = model(idx, targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


#: name -> (builder, steps per timing round)
WORKLOADS = {
    "word_language_model LSTM": (lambda lib: word_language_model(lib, "LSTM"), 3),
    "word_language_model GRU": (lambda lib: word_language_model(lib, "GRU"), 3),
    "dcgan G+D step": (dcgan, 1),
    "time_sequence_prediction LBFGS": (time_sequence_prediction, 1),
    "vae step": (vae, 5),
    "mnist_rnn step": (mnist_rnn, 5),
    "mnist CNN step": (mnist_cnn, 2),
    "nanoGPT step": (nanogpt, 2),
}


def _select(only) -> dict:
    if not only:
        return WORKLOADS
    return {name: w for name, w in WORKLOADS.items() if any(o.lower() in name.lower() for o in only)}


class PrimitiveTimer:
    """Times every primitive call of a backend object (CPU seconds, exclusive of nested primitive
    calls), keyed by primitive name and the shapes of its array arguments."""

    def __init__(self, backend) -> None:
        from unigrad.backends.interface import Backend
        self.backend, self.totals, self._stack = backend, {}, []
        self.names = [n for n in dir(Backend) if not n.startswith("_") and callable(getattr(backend, n, None))]

    def __enter__(self):
        for name in self.names:
            setattr(self.backend, name, self._timed(name, getattr(self.backend, name)))
        return self

    def __exit__(self, *exc) -> None:
        for name in self.names:
            delattr(self.backend, name)

    def _timed(self, name, method):
        clock, stack, totals = time.process_time, self._stack, self.totals

        def timed(*args, **kwargs):
            shapes = tuple(tuple(a.shape) for a in args if hasattr(a, "shape"))
            stack.append(0.0)
            start = clock()
            try:
                return method(*args, **kwargs)
            finally:
                elapsed = clock() - start
                nested = stack.pop()
                if stack:
                    stack[-1] += elapsed
                key = (name, shapes)
                calls, seconds = totals.get(key, (0, 0.0))
                totals[key] = (calls + 1, seconds + elapsed - nested)
        return timed

    def report(self, steps: int, top: int = 25) -> None:
        by_name: dict = {}
        for (name, _), (calls, seconds) in self.totals.items():
            c, s = by_name.get(name, (0, 0.0))
            by_name[name] = (c + calls, s + seconds)
        total = sum(s for _, s in by_name.values())
        print(f"primitives: {total / steps * 1e3:.1f} ms per step")
        print(f"{'primitive':<24} {'calls/step':>10} {'ms/step':>9} {'us/call':>9}")
        for name, (calls, seconds) in sorted(by_name.items(), key=lambda kv: -kv[1][1])[:top]:
            print(f"{name:<24} {calls / steps:>10.1f} {seconds / steps * 1e3:>9.2f} {seconds / calls * 1e6:>9.1f}")
        print(f"\n{'primitive and operand shapes':<70} {'calls/step':>10} {'ms/step':>9}")
        for (name, shapes), (calls, seconds) in sorted(self.totals.items(), key=lambda kv: -kv[1][1])[:top]:
            label = f"{name} {' '.join(str(list(s)) for s in shapes)}"
            print(f"{label[:70]:<70} {calls / steps:>10.1f} {seconds / steps * 1e3:>9.2f}")


def _profile(name: str, steps: int) -> None:
    """Per-primitive CPU time, then cProfile's top frontend functions, of unigrad's step."""
    import cProfile
    import pstats

    import unigrad
    (builder, _), = _select([name]).values()
    step = builder(unigrad)
    step()
    with PrimitiveTimer(unigrad.zeros(1)._backend) as timer:
        start = time.process_time()
        for _ in range(steps):
            step()
        elapsed = time.process_time() - start
    print(f"{name}: {elapsed / steps * 1e3:.1f} ms CPU per step (timed primitives)")
    timer.report(steps)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    warnings.filterwarnings("ignore", message="dropout2d")  # mnist_rnn's Dropout2d on 2-D input

    def extra(parser):
        parser.add_argument("--only", nargs="*", help="workloads whose name contains one of these")
        parser.add_argument("--profile", help="profile unigrad's step of this workload instead")
        parser.add_argument("--steps", type=int, default=3, help="steps to profile")
        parser.add_argument("--wall", action="store_true",
                            help="time wall-clock seconds (default here: this process's CPU time, "
                                 "which other processes' load on a shared machine does not inflate)")

    args, torch = bench_arguments(__doc__, 5, extra)
    import unigrad
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    except ImportError:
        pass
    if args.profile:
        _profile(args.profile, args.steps)
        return
    clock = time.perf_counter if args.wall else time.process_time
    print(f"unigrad {unigrad.__version__} (cpu) vs torch {torch.__version__} CPU, {args.threads} threads, "
          f"best of {args.repeat}, {'wall-clock' if args.wall else 'CPU'} time")
    print(f"{'workload':<34} {'unigrad':>12} {'torch':>12} {'ratio':>7}")
    ratios = []
    for name, (builder, number) in _select(args.only).items():
        ours, theirs = builder(unigrad), builder(torch)
        t_ours, t_theirs = best_times([ours, theirs], number, args.repeat, clock)
        ratios.append(t_ours / t_theirs)
        print(f"{name:<34} {t_ours * 1e3:>9.2f} ms {t_theirs * 1e3:>9.2f} ms {t_ours / t_theirs:>7.2f}",
              flush=True)
    if len(ratios) > 1:
        print(f"{'geometric mean':<34} {'':>12} {'':>12} {math.exp(sum(map(math.log, ratios)) / len(ratios)):>7.2f}")


if __name__ == "__main__":
    main()
