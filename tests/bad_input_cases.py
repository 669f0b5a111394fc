"""The table of bad calls for ``test_bad_input_table``: each is written once against a torch-like
module ``lib`` and a set of pre-existing tensors ``t``, with the exception type PyTorch raises
(its builtin base class: torch's own classes derive from RuntimeError, ValueError...).

Only behaviour that does not depend on torch's build or CPU is listed (no CUDA availability, no
oneDNN paths). ``deferred``: on a device that checks indices/divisors in its kernels the error
may surface at the next synchronisation, and an in-place op may have written in-range elements.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class Bad:
    name: str
    call: Callable
    error: type
    #: on a device with deferred checks the error surfaces at the next synchronisation
    deferred: bool = False
    #: the fixture an in-place op writes: on a device with deferred checks it may be partly written
    writes: str | None = None
    #: a value check PyTorch's CPU kernels make; devices with deferred checks skip it (no round trip)
    host_checked: bool = False


def fixtures(lib, device: str) -> dict:
    """The pre-existing tensors every case may use (and must leave unchanged)."""
    def make(array, **kwargs):
        return lib.tensor(array, device=device, **kwargs)
    return {
        "x": make(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "v": make(np.array([1.0, 2.0, 3.0], dtype=np.float32)),
        "i": make(np.array([1, 2, 3], dtype=np.int64)),
        "leaf": make(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True),
        "img": make(np.linspace(-1, 1, 50, dtype=np.float32).reshape(1, 2, 5, 5)),
        "seq": make(np.linspace(-1, 1, 30, dtype=np.float32).reshape(2, 5, 3)),
        "empty": make(np.zeros((0,), dtype=np.float32)),
        "empty2": make(np.zeros((0, 3), dtype=np.float32)),
        "mask": make(np.array([True, False, True])),
        "target": make(np.array([0, 2], dtype=np.int64)),
    }


def _module(lib, device, build):
    return build(lib.nn).to(device)


def _step(lib, params, optimizer):
    loss = sum((p * p).sum() for p in params)
    loss.backward()
    optimizer.step()


class _Range:
    """A minimal map-style dataset."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i


CASES = [
    # ----- creation -------------------------------------------------------------------------
    Bad("empty 2**40 elements", lambda lib, d, t: lib.empty(2 ** 40, device=d), RuntimeError),
    Bad("zeros negative size", lambda lib, d, t: lib.zeros(2, -1, device=d), RuntimeError),
    Bad("empty size product overflows", lambda lib, d, t: lib.empty(2 ** 62, 2 ** 62, device=d), RuntimeError),
    Bad("arange nan end", lambda lib, d, t: lib.arange(0, float("nan"), device=d), RuntimeError),
    Bad("arange inf end", lambda lib, d, t: lib.arange(0, float("inf"), device=d), RuntimeError),
    Bad("arange zero step", lambda lib, d, t: lib.arange(0, 10, 0, device=d), RuntimeError),
    Bad("arange step sign", lambda lib, d, t: lib.arange(10, 0, 1, device=d), RuntimeError),
    Bad("full 300 as uint8", lambda lib, d, t: lib.full((2,), 300, dtype=lib.uint8, device=d), RuntimeError),
    Bad("tensor 2**64", lambda lib, d, t: lib.tensor(2 ** 64, device=d), ValueError),
    Bad("tensor 2**63", lambda lib, d, t: lib.tensor(2 ** 63, device=d), ValueError),
    Bad("tensor -2**63-1", lambda lib, d, t: lib.tensor(-2 ** 63 - 1, device=d), ValueError),
    Bad("tensor list with 2**64", lambda lib, d, t: lib.tensor([1, 2 ** 64], device=d), ValueError),
    Bad("tensor ragged", lambda lib, d, t: lib.tensor([[1, 2], [3]], device=d), ValueError),
    Bad("tensor of str", lambda lib, d, t: lib.tensor(["a"], device=d), ValueError),
    Bad("rand int64", lambda lib, d, t: lib.rand(2, dtype=lib.int64, device=d), NotImplementedError),
    Bad("randn int64", lambda lib, d, t: lib.randn(2, dtype=lib.int64, device=d), NotImplementedError),
    Bad("randint low >= high", lambda lib, d, t: lib.randint(5, 2, (3,), device=d), RuntimeError),
    Bad("randperm -1", lambda lib, d, t: lib.randperm(-1, device=d), RuntimeError),
    Bad("randperm float", lambda lib, d, t: lib.randperm(2.5, device=d), TypeError),
    Bad("ones dtype str", lambda lib, d, t: lib.ones(2, dtype="float32", device=d), TypeError),
    Bad("zeros float size", lambda lib, d, t: lib.zeros((2, 3.5), device=d), TypeError),
    Bad("zeros bool size", lambda lib, d, t: lib.zeros(True, device=d), TypeError),
    Bad("full 1e300 as float32", lambda lib, d, t: lib.full((2,), 1e300, dtype=lib.float32, device=d), RuntimeError),
    Bad("fill_ 300 into uint8", lambda lib, d, t: lib.zeros(2, dtype=lib.uint8, device=d).fill_(300), RuntimeError),
    Bad("arange too long", lambda lib, d, t: lib.arange(0, 1e30, 1, device=d), RuntimeError),
    Bad("linspace negative steps", lambda lib, d, t: lib.linspace(0, 1, -1, device=d), RuntimeError),
    Bad("eye negative", lambda lib, d, t: lib.eye(-1, device=d), RuntimeError),
    Bad("full str value", lambda lib, d, t: lib.full((2,), "a", device=d), TypeError),
    Bad("normal negative std", lambda lib, d, t: lib.normal(0.0, -1.0, (2,), device=d), RuntimeError),
    Bad("normal negative std tensor", lambda lib, d, t: lib.normal(t["v"], -t["v"]), RuntimeError),
    Bad("bernoulli p > 1", lambda lib, d, t: lib.bernoulli(t["v"]), RuntimeError, host_checked=True),
    Bad("multinomial negative", lambda lib, d, t: lib.multinomial(-t["v"], 1), RuntimeError),
    Bad("multinomial too many", lambda lib, d, t: lib.multinomial(t["v"], 5), RuntimeError),
    Bad("unknown device", lambda lib, d, t: lib.zeros(2, device="nosuchdevice"), RuntimeError),
    Bad("device string index", lambda lib, d, t: lib.device("cpu:x"), RuntimeError),
    Bad("device negative index", lambda lib, d, t: lib.device("cpu", -1), RuntimeError),
    Bad("device string negative index", lambda lib, d, t: lib.device("cuda:-1"), RuntimeError),
    # ----- scalars and conversions ----------------------------------------------------------
    Bad("item of many", lambda lib, d, t: t["v"].item(), RuntimeError),
    Bad("bool of many", lambda lib, d, t: bool(t["v"]), RuntimeError),
    Bad("float of many", lambda lib, d, t: float(t["v"]), ValueError),
    Bad("int of many", lambda lib, d, t: int(t["v"]), ValueError),
    Bad("requires_grad on int", lambda lib, d, t: t["i"].clone().requires_grad_(), RuntimeError),
    Bad("int tensor requires_grad", lambda lib, d, t: lib.ones(2, dtype=lib.int64, device=d, requires_grad=True),
        RuntimeError),
    Bad("numpy of requires_grad", lambda lib, d, t: t["leaf"].numpy(), RuntimeError),
    Bad("to unknown dtype str", lambda lib, d, t: t["x"].to("float32"), RuntimeError),
    Bad("to unknown device", lambda lib, d, t: t["x"].to("nosuchdevice"), RuntimeError),
    # ----- indexing -------------------------------------------------------------------------
    Bad("index int out of range", lambda lib, d, t: t["x"][5], IndexError),
    Bad("too many indices", lambda lib, d, t: t["x"][0, 0, 0], IndexError),
    Bad("tensor index out of range", lambda lib, d, t: t["x"][lib.tensor([5], device=d)], IndexError,
        deferred=True),
    Bad("float tensor index", lambda lib, d, t: t["x"][lib.tensor([0.5], device=d)], IndexError),
    Bad("mask wrong shape", lambda lib, d, t: t["x"][t["mask"]], IndexError),
    Bad("index by str", lambda lib, d, t: t["x"][0, "a"], TypeError),
    Bad("index by float", lambda lib, d, t: t["x"][1.5], IndexError),
    Bad("index by object", lambda lib, d, t: t["x"][object()], IndexError),
    Bad("select out of range", lambda lib, d, t: t["x"].select(0, 5), IndexError),
    Bad("setitem out of range", lambda lib, d, t: t["x"].__setitem__(lib.tensor([5], device=d), 1.0), IndexError,
        deferred=True, writes="x"),
    Bad("setitem wrong shape", lambda lib, d, t: t["x"].__setitem__(0, t["i"][:2].float()), RuntimeError),
    Bad("gather out of range", lambda lib, d, t: t["x"].gather(0, lib.tensor([[5, 0, 0]], device=d)), RuntimeError,
        deferred=True),
    Bad("gather negative", lambda lib, d, t: t["x"].gather(0, lib.tensor([[-5, 0, 0]], device=d)), RuntimeError,
        deferred=True),
    Bad("gather float index", lambda lib, d, t: t["x"].gather(0, t["v"].reshape(1, 3)), RuntimeError),
    Bad("gather ndim mismatch", lambda lib, d, t: t["x"].gather(0, t["i"]), RuntimeError),
    Bad("scatter_ out of range", lambda lib, d, t: t["x"].scatter_(0, lib.tensor([[5, 0, 0]], device=d), 1.0),
        RuntimeError, deferred=True, writes="x"),
    Bad("scatter_add_ out of range",
        lambda lib, d, t: t["x"].scatter_add_(0, lib.tensor([[0, 5, 1]], device=d), t["v"].reshape(1, 3)),
        RuntimeError, deferred=True, writes="x"),
    Bad("index_select out of range", lambda lib, d, t: t["x"].index_select(0, lib.tensor([5], device=d)),
        IndexError, deferred=True),
    Bad("masked_fill float mask", lambda lib, d, t: t["v"].masked_fill(t["v"], 0.0), RuntimeError),
    Bad("masked_fill shape", lambda lib, d, t: t["x"].masked_fill(lib.tensor([True, False], device=d), 1.0),
        RuntimeError),
    # ----- shapes ---------------------------------------------------------------------------
    Bad("reshape invalid", lambda lib, d, t: t["x"].reshape(4, -1), RuntimeError),
    Bad("view two -1", lambda lib, d, t: t["x"].view(-1, -1), RuntimeError),
    Bad("view non-contiguous", lambda lib, d, t: t["x"].t().view(-1), RuntimeError),
    Bad("expand smaller", lambda lib, d, t: t["x"].expand(2, 5), RuntimeError),
    Bad("expand fewer dims", lambda lib, d, t: t["x"].expand(3), RuntimeError),
    Bad("cat empty list", lambda lib, d, t: lib.cat([]), ValueError),
    Bad("cat shapes", lambda lib, d, t: lib.cat([t["x"], t["v"].reshape(3, 1)]), RuntimeError),
    Bad("cat dim out of range", lambda lib, d, t: lib.cat([t["x"], t["x"]], 2), IndexError),
    Bad("stack shapes", lambda lib, d, t: lib.stack([t["x"], t["v"]]), RuntimeError),
    Bad("stack empty", lambda lib, d, t: lib.stack([]), RuntimeError),
    Bad("permute wrong count", lambda lib, d, t: t["x"].permute(0), RuntimeError),
    Bad("permute repeated", lambda lib, d, t: t["x"].permute(0, 0), RuntimeError),
    Bad("transpose out of range", lambda lib, d, t: t["x"].transpose(0, 5), IndexError),
    Bad("squeeze out of range", lambda lib, d, t: t["x"].squeeze(5), IndexError),
    Bad("unsqueeze out of range", lambda lib, d, t: t["x"].unsqueeze(5), IndexError),
    Bad("split size 0", lambda lib, d, t: t["x"].split(0), RuntimeError),
    Bad("chunk 0", lambda lib, d, t: t["x"].chunk(0), RuntimeError),
    Bad("flatten start > end", lambda lib, d, t: t["img"].flatten(2, 1), RuntimeError),
    Bad("narrow out of range", lambda lib, d, t: t["x"].narrow(1, 2, 5), RuntimeError),
    Bad("narrow start out of range", lambda lib, d, t: t["x"].narrow(1, 5, 1), IndexError),
    Bad("narrow negative length", lambda lib, d, t: t["x"].narrow(1, 0, -1), RuntimeError),
    Bad("view -2", lambda lib, d, t: t["x"].view(-2, 3), RuntimeError),
    Bad("reshape -2", lambda lib, d, t: t["x"].reshape(-2, 3), RuntimeError),
    Bad("expand -2", lambda lib, d, t: t["x"].expand(-2, 3), RuntimeError),
    Bad("squeeze dim out of range", lambda lib, d, t: t["x"].squeeze(-3), IndexError),
    Bad("repeat negative", lambda lib, d, t: t["x"].repeat(-1, 1), RuntimeError),
    Bad("split sizes sum", lambda lib, d, t: t["x"].split([1, 1], 1), RuntimeError),
    Bad("where shapes", lambda lib, d, t: lib.where(lib.tensor([True, False], device=d), t["x"], t["x"]),
        RuntimeError),
    Bad("where float condition", lambda lib, d, t: lib.where(t["x"], t["x"], t["x"]), RuntimeError),
    Bad("lerp shapes", lambda lib, d, t: lib.lerp(t["x"], t["v"][:2], 0.5), RuntimeError),
    Bad("t of 3-d", lambda lib, d, t: t["seq"].t(), RuntimeError),
    Bad("repeat fewer dims", lambda lib, d, t: t["x"].repeat(2), RuntimeError),
    Bad("flip repeated dims", lambda lib, d, t: t["x"].flip(0, 0), RuntimeError),
    Bad("movedim repeated", lambda lib, d, t: t["x"].movedim((0, 0), (0, 1)), RuntimeError),
    Bad("unflatten wrong sizes", lambda lib, d, t: t["x"].unflatten(1, (2, 2)), RuntimeError),
    Bad("unfold too big", lambda lib, d, t: t["v"].unfold(0, 5, 1), RuntimeError),
    Bad("diagonal same dims", lambda lib, d, t: t["x"].diagonal(0, 0, 0), RuntimeError),
        Bad("view dtype size", lambda lib, d, t: t["v"].view(lib.float64), RuntimeError),
    # ----- reductions -----------------------------------------------------------------------
    Bad("max of empty", lambda lib, d, t: t["empty"].max(), RuntimeError),
    Bad("min of empty", lambda lib, d, t: t["empty"].min(), RuntimeError),
    Bad("argmax of empty", lambda lib, d, t: t["empty"].argmax(), IndexError),
    Bad("max dim of empty", lambda lib, d, t: t["empty"].max(0), IndexError),
    Bad("max empty reduction dim", lambda lib, d, t: t["empty2"].max(0), IndexError),
    Bad("amax of empty", lambda lib, d, t: t["empty"].amax(), RuntimeError),
    Bad("sort dim out of range", lambda lib, d, t: t["x"].sort(5), IndexError),
    Bad("argsort dim out of range", lambda lib, d, t: t["x"].argsort(dim=5), IndexError),
    Bad("unique dim out of range", lambda lib, d, t: lib.unique(t["x"], dim=5), IndexError),
    Bad("all dim out of range", lambda lib, d, t: t["x"].all(5), IndexError),
    Bad("mean int dtype", lambda lib, d, t: t["x"].mean(dtype=lib.int64), RuntimeError),
    Bad("var of int", lambda lib, d, t: t["i"].var(), RuntimeError),
    Bad("softmax of int", lambda lib, d, t: t["i"].softmax(0), NotImplementedError),
    Bad("sum dim out of range", lambda lib, d, t: t["x"].sum(2), IndexError),
    Bad("sum repeated dims", lambda lib, d, t: t["x"].sum((0, 0)), RuntimeError),
    Bad("mean of int", lambda lib, d, t: t["i"].mean(), RuntimeError),
    Bad("std of int", lambda lib, d, t: t["i"].std(), RuntimeError),
    Bad("softmax dim out of range", lambda lib, d, t: t["x"].softmax(3), IndexError),
    Bad("cumsum dim out of range", lambda lib, d, t: t["x"].cumsum(3), IndexError),
    Bad("kthvalue k too big", lambda lib, d, t: t["v"].kthvalue(5), RuntimeError),
    Bad("topk k too big", lambda lib, d, t: t["v"].topk(5), RuntimeError),
    # ----- element-wise ---------------------------------------------------------------------
    Bad("add shapes", lambda lib, d, t: t["x"] + t["v"][:2], RuntimeError),
    Bad("sub bools", lambda lib, d, t: t["mask"] - t["mask"], RuntimeError),
    Bad("add str", lambda lib, d, t: t["x"] + "a", TypeError),
    Bad("int pow negative", lambda lib, d, t: t["i"] ** -1, RuntimeError),
    Bad("add_ float into int", lambda lib, d, t: t["i"].add_(0.5), RuntimeError),
    Bad("add_ broadcast grows", lambda lib, d, t: t["v"].add_(t["x"]), RuntimeError),
    Bad("bitwise_and floats", lambda lib, d, t: lib.bitwise_and(t["v"], t["v"]), NotImplementedError),
    Bad("bitwise_or floats", lambda lib, d, t: t["v"] | t["v"], NotImplementedError),
    Bad("bitwise_xor floats", lambda lib, d, t: t["v"] ^ t["v"], NotImplementedError),
    Bad("bitwise_not floats", lambda lib, d, t: lib.bitwise_not(t["v"]), NotImplementedError),
    Bad("invert float", lambda lib, d, t: ~t["v"], TypeError),
    Bad("clamp without bounds", lambda lib, d, t: t["v"].clamp(), RuntimeError),
    Bad("int floor_divide by 0", lambda lib, d, t: t["i"] // 0, RuntimeError),
    Bad("int remainder by 0", lambda lib, d, t: t["i"] % 0, RuntimeError),
    Bad("int remainder by zero tensor", lambda lib, d, t: t["i"] % (t["i"] - 2), RuntimeError, deferred=True),
    Bad("int fmod by zero tensor", lambda lib, d, t: lib.fmod(t["i"], t["i"] - 1), RuntimeError, deferred=True),
    Bad("int div floor by zero tensor", lambda lib, d, t: lib.div(t["i"], t["i"] * 0, rounding_mode="floor"),
        RuntimeError, deferred=True),
    Bad("int remainder_ by zero", lambda lib, d, t: t["i"].remainder_(0), RuntimeError),
    Bad("div bad rounding mode", lambda lib, d, t: lib.div(t["v"], 2, rounding_mode="round"), RuntimeError),
    # ----- linear algebra -------------------------------------------------------------------
    Bad("matmul 0-d", lambda lib, d, t: lib.matmul(t["v"][0], t["v"]), RuntimeError),
    Bad("matmul shapes", lambda lib, d, t: t["x"] @ t["x"], RuntimeError),
    Bad("matmul 1-d sizes", lambda lib, d, t: t["v"] @ t["v"][:2], RuntimeError),
    Bad("mm 3-d", lambda lib, d, t: lib.mm(t["seq"], t["x"]), RuntimeError),
    Bad("mm dtypes", lambda lib, d, t: lib.mm(t["x"], t["x"].t().double()), RuntimeError),
    Bad("bmm 2-d", lambda lib, d, t: lib.bmm(t["x"], t["x"]), RuntimeError),
    Bad("dot 2-d", lambda lib, d, t: lib.dot(t["x"], t["x"]), RuntimeError),
    Bad("dot sizes", lambda lib, d, t: lib.dot(t["v"], t["v"][:2]), RuntimeError),
    Bad("mv shapes", lambda lib, d, t: lib.mv(t["x"], t["v"][:2]), RuntimeError),
    # ----- autograd -------------------------------------------------------------------------
    Bad("in-place on leaf", lambda lib, d, t: t["leaf"].add_(1), RuntimeError),
    Bad("in-place on leaf view", lambda lib, d, t: t["leaf"][:2].mul_(2), RuntimeError),
    Bad("backward non-scalar", lambda lib, d, t: (t["leaf"] * 2).backward(), RuntimeError),
    Bad("backward without grad", lambda lib, d, t: t["v"].sum().backward(), RuntimeError),
    Bad("backward twice", lambda lib, d, t: _twice(t["leaf"]), RuntimeError),
    Bad("saved tensor modified", lambda lib, d, t: _modified_saved(t["leaf"]), RuntimeError),
    Bad("grad of wrong shape", lambda lib, d, t: setattr(t["leaf"].detach().requires_grad_(), "grad", t["x"]),
        RuntimeError),
    Bad("grad of int dtype", lambda lib, d, t: setattr(t["leaf"].detach().requires_grad_(), "grad", t["i"]),
        RuntimeError),
    Bad("grad not a tensor", lambda lib, d, t: setattr(t["leaf"].detach().requires_grad_(), "grad", 3), TypeError),
    Bad("autograd.grad unused", lambda lib, d, t: lib.autograd.grad((t["leaf"] * 2).sum(),
                                                                    [t["leaf"], t["leaf"].detach().requires_grad_()]),
        RuntimeError),
    # ----- nn layers ------------------------------------------------------------------------
    Bad("Linear features", lambda lib, d, t: _module(lib, d, lambda nn: nn.Linear(4, 2))(t["x"]), RuntimeError),
    Bad("Linear negative size", lambda lib, d, t: lib.nn.Linear(-1, 2), RuntimeError),
    Bad("Conv2d channels", lambda lib, d, t: _module(lib, d, lambda nn: nn.Conv2d(3, 4, 3))(t["img"]), RuntimeError),
    Bad("Conv2d stride 0", lambda lib, d, t: _module(lib, d, lambda nn: nn.Conv2d(2, 2, 3, stride=0))(t["img"]),
        RuntimeError),
    Bad("Conv2d kernel too big", lambda lib, d, t: _module(lib, d, lambda nn: nn.Conv2d(2, 2, 7))(t["img"]),
        RuntimeError),
    Bad("Conv2d groups", lambda lib, d, t: lib.nn.Conv2d(3, 4, 3, groups=2), ValueError),
    Bad("Conv2d same with stride", lambda lib, d, t: lib.nn.Conv2d(2, 2, 3, stride=2, padding="same"), ValueError),
    Bad("Conv2d bad padding string", lambda lib, d, t: lib.nn.Conv2d(2, 2, 3, padding="full"), ValueError),
    Bad("Conv2d 5-d input", lambda lib, d, t: _module(lib, d, lambda nn: nn.Conv2d(2, 2, 3))(t["img"][None]),
        RuntimeError),
    Bad("Conv1d 4-d input", lambda lib, d, t: _module(lib, d, lambda nn: nn.Conv1d(2, 2, 3))(t["img"]), RuntimeError),
    Bad("MaxPool2d kernel 0", lambda lib, d, t: lib.nn.MaxPool2d(0)(t["img"]), RuntimeError),
    Bad("MaxPool2d padding too big", lambda lib, d, t: lib.nn.MaxPool2d(2, padding=2)(t["img"]), RuntimeError),
    Bad("AvgPool2d kernel 0", lambda lib, d, t: lib.nn.AvgPool2d(0)(t["img"]), RuntimeError),
    Bad("BatchNorm1d features", lambda lib, d, t: _module(lib, d, lambda nn: nn.BatchNorm1d(4))(t["x"]), RuntimeError),
    Bad("BatchNorm1d batch of 1", lambda lib, d, t: _module(lib, d, lambda nn: nn.BatchNorm1d(3))(t["x"][:1]),
        ValueError),
    Bad("LayerNorm shape", lambda lib, d, t: _module(lib, d, lambda nn: nn.LayerNorm(4))(t["x"]), RuntimeError),
    Bad("Embedding out of range", lambda lib, d, t: _module(lib, d, lambda nn: nn.Embedding(3, 2))(
        lib.tensor([5], device=d)), IndexError, deferred=True),
    Bad("Embedding float indices", lambda lib, d, t: _module(lib, d, lambda nn: nn.Embedding(3, 2))(t["v"]),
        RuntimeError),
    Bad("RNN input size", lambda lib, d, t: _module(lib, d, lambda nn: nn.RNN(4, 2))(t["seq"]), RuntimeError),
    Bad("LSTM hidden shape", lambda lib, d, t: _module(lib, d, lambda nn: nn.LSTM(3, 2))(
        t["seq"], (lib.zeros(1, 5, 3, device=d), lib.zeros(1, 5, 2, device=d))), RuntimeError),
    Bad("GRU 4-d input", lambda lib, d, t: _module(lib, d, lambda nn: nn.GRU(5, 2))(t["img"]), ValueError),
    Bad("RNN bad nonlinearity", lambda lib, d, t: lib.nn.RNN(3, 2, nonlinearity="sigmoid"), ValueError),
    Bad("Dropout p > 1", lambda lib, d, t: lib.nn.Dropout(1.5), ValueError),
    Bad("pad odd length", lambda lib, d, t: lib.nn.functional.pad(t["x"], (1,)), RuntimeError),
    Bad("pad too many", lambda lib, d, t: lib.nn.functional.pad(t["v"], (1, 1, 1, 1)), RuntimeError),
    Bad("reflect pad too large", lambda lib, d, t: lib.nn.functional.pad(t["img"], (5, 5, 5, 5), mode="reflect"),
        RuntimeError),
    Bad("interpolate without size", lambda lib, d, t: lib.nn.functional.interpolate(t["img"]), ValueError),
    Bad("interpolate size and scale", lambda lib, d, t: lib.nn.functional.interpolate(t["img"], size=4,
                                                                                       scale_factor=2), ValueError),
    Bad("one_hot too big", lambda lib, d, t: lib.nn.functional.one_hot(t["i"], 3), RuntimeError, deferred=True),
    Bad("one_hot negative", lambda lib, d, t: lib.nn.functional.one_hot(t["i"] - 2, 3), RuntimeError, deferred=True),
    Bad("one_hot float", lambda lib, d, t: lib.nn.functional.one_hot(t["v"], 3), RuntimeError),
    Bad("pixel_shuffle channels", lambda lib, d, t: lib.nn.functional.pixel_shuffle(t["img"], 2), RuntimeError),
    Bad("Sequential index", lambda lib, d, t: lib.nn.Sequential(lib.nn.ReLU())[3], IndexError),
    Bad("load_state_dict missing", lambda lib, d, t: lib.nn.Linear(2, 2).load_state_dict({}), RuntimeError),
    Bad("load_state_dict shape", lambda lib, d, t: lib.nn.Linear(2, 2).load_state_dict(
        {"weight": lib.zeros(3, 3), "bias": lib.zeros(2)}), RuntimeError),
    Bad("softmax no dim int", lambda lib, d, t: lib.nn.Softmax(dim=5)(t["x"]), IndexError),
    # ----- losses ---------------------------------------------------------------------------
    Bad("cross_entropy class out of range", lambda lib, d, t: lib.nn.functional.cross_entropy(
        t["x"], lib.tensor([0, 5], device=d)), IndexError, deferred=True),
    Bad("cross_entropy batch mismatch", lambda lib, d, t: lib.nn.functional.cross_entropy(t["x"], t["i"]),
        ValueError),
    Bad("nll_loss float target", lambda lib, d, t: lib.nn.functional.nll_loss(t["x"], t["v"][:2]), RuntimeError),
    Bad("cross_entropy int input", lambda lib, d, t: lib.nn.functional.cross_entropy(t["i"].reshape(1, 3),
                                                                                     t["target"][:1]), NotImplementedError),
    Bad("cross_entropy label_smoothing 2", lambda lib, d, t: lib.nn.functional.cross_entropy(
        t["x"], t["target"], label_smoothing=2.0), RuntimeError),
    Bad("cross_entropy weight size", lambda lib, d, t: lib.nn.functional.cross_entropy(
        t["x"], t["target"], weight=lib.ones(5, device=d)), RuntimeError),
    Bad("nll_loss target shape", lambda lib, d, t: lib.nn.functional.nll_loss(
        t["seq"].transpose(1, 2), lib.zeros(2, 5, dtype=lib.int64, device=d)[:, :4].repeat(1, 2)), RuntimeError),
    Bad("bce input negative", lambda lib, d, t: lib.nn.functional.binary_cross_entropy(-t["v"], t["v"] * 0),
        RuntimeError, host_checked=True),
    Bad("bce target above 1", lambda lib, d, t: lib.nn.functional.binary_cross_entropy(t["v"] / 4, t["v"]),
        RuntimeError, host_checked=True),
    Bad("smooth_l1 negative beta", lambda lib, d, t: lib.nn.functional.smooth_l1_loss(t["v"], t["v"], beta=-1.0),
        RuntimeError),
    Bad("kl_div bad reduction", lambda lib, d, t: lib.nn.functional.kl_div(t["v"], t["v"], reduction="bad"),
        ValueError),
    Bad("mse_loss not broadcastable", lambda lib, d, t: lib.nn.functional.mse_loss(t["x"], t["v"][:2]),
        RuntimeError),
    Bad("bce target size", lambda lib, d, t: lib.nn.functional.binary_cross_entropy(t["v"].sigmoid(), t["x"]),
        ValueError),
    Bad("bce input above 1", lambda lib, d, t: lib.nn.functional.binary_cross_entropy(t["v"], t["v"] * 0),
        RuntimeError, host_checked=True),
    Bad("loss bad reduction", lambda lib, d, t: lib.nn.functional.mse_loss(t["v"], t["v"], reduction="bogus"),
        ValueError),
    Bad("huber delta 0", lambda lib, d, t: lib.nn.functional.huber_loss(t["v"], t["v"], delta=0.0), RuntimeError),
    # ----- optimizers -----------------------------------------------------------------------
    Bad("SGD negative lr", lambda lib, d, t: lib.optim.SGD([t["leaf"]], lr=-1.0), ValueError),
    Bad("SGD negative momentum", lambda lib, d, t: lib.optim.SGD([t["leaf"]], lr=0.1, momentum=-1), ValueError),
    Bad("SGD nesterov without momentum", lambda lib, d, t: lib.optim.SGD([t["leaf"]], lr=0.1, nesterov=True),
        ValueError),
    Bad("SGD negative weight decay", lambda lib, d, t: lib.optim.SGD([t["leaf"]], lr=0.1, weight_decay=-1),
        ValueError),
    Bad("Adam beta >= 1", lambda lib, d, t: lib.optim.Adam([t["leaf"]], betas=(1.5, 0.9)), ValueError),
    Bad("Adam negative eps", lambda lib, d, t: lib.optim.Adam([t["leaf"]], eps=-1.0), ValueError),
    Bad("optimizer empty params", lambda lib, d, t: lib.optim.SGD([], lr=0.1), ValueError),
    Bad("optimizer tensor params", lambda lib, d, t: lib.optim.SGD(t["leaf"], lr=0.1), TypeError),
    Bad("optimizer non-leaf", lambda lib, d, t: lib.optim.SGD([t["leaf"] * 2], lr=0.1), ValueError),
    Bad("optimizer duplicate groups", lambda lib, d, t: lib.optim.SGD([{"params": [t["leaf"]]},
                                                                       {"params": [t["leaf"]]}], lr=0.1), ValueError),
    # ----- data loading ---------------------------------------------------------------------
    Bad("DataLoader negative workers", lambda lib, d, t: lib.utils.data.DataLoader(_Range(), num_workers=-1),
        ValueError),
    Bad("DataLoader negative timeout", lambda lib, d, t: lib.utils.data.DataLoader(_Range(), timeout=-1), ValueError),
    Bad("DataLoader prefetch without workers",
        lambda lib, d, t: lib.utils.data.DataLoader(_Range(), prefetch_factor=2), ValueError),
    Bad("DataLoader shuffle and sampler", lambda lib, d, t: lib.utils.data.DataLoader(
        _Range(), shuffle=True, sampler=[0, 1]), ValueError),
    Bad("DataLoader batch_size 0", lambda lib, d, t: lib.utils.data.DataLoader(_Range(), batch_size=0), ValueError),
    Bad("DataLoader bad context", lambda lib, d, t: lib.utils.data.DataLoader(
        _Range(), num_workers=1, multiprocessing_context="bogus"), ValueError),
    Bad("DataLoader drop_last unbatched", lambda lib, d, t: lib.utils.data.DataLoader(
        _Range(), batch_size=None, drop_last=True), ValueError),
    # ----- more nn layers -------------------------------------------------------------------
    Bad("Conv2d negative out_channels", lambda lib, d, t: lib.nn.Conv2d(2, -1, 3), RuntimeError),
    Bad("Conv2d dilation 0", lambda lib, d, t: _module(lib, d, lambda nn: nn.Conv2d(2, 2, 3, dilation=0))(t["img"]),
        RuntimeError),
    Bad("Conv2d negative padding", lambda lib, d, t: _module(lib, d, lambda nn: nn.Conv2d(2, 2, 3, padding=-1))(
        t["img"]), RuntimeError),
    Bad("Conv2d bad padding_mode", lambda lib, d, t: lib.nn.Conv2d(2, 2, 3, padding_mode="mirror"), ValueError),
    Bad("conv2d 3-d weight", lambda lib, d, t: lib.nn.functional.conv2d(t["img"], t["seq"]), RuntimeError),
    Bad("conv2d bias size", lambda lib, d, t: lib.nn.functional.conv2d(
        t["img"], lib.ones(2, 2, 3, 3, device=d), bias=lib.ones(3, device=d)), RuntimeError),
    Bad("ConvTranspose2d output_padding", lambda lib, d, t: _module(
        lib, d, lambda nn: nn.ConvTranspose2d(2, 2, 3, stride=1, output_padding=2))(t["img"]), RuntimeError),
    Bad("MaxPool2d stride 0", lambda lib, d, t: lib.nn.MaxPool2d(2, stride=0)(t["img"]), RuntimeError),
    Bad("MaxPool2d 2-d input", lambda lib, d, t: lib.nn.MaxPool2d(2)(t["x"]), RuntimeError),
    Bad("AvgPool2d padding too big", lambda lib, d, t: lib.nn.AvgPool2d(2, padding=2)(t["img"]), RuntimeError),
    Bad("interpolate bilinear on 3-d", lambda lib, d, t: lib.nn.functional.interpolate(
        t["seq"], scale_factor=2, mode="bilinear"), NotImplementedError),
    Bad("interpolate align_corners nearest", lambda lib, d, t: lib.nn.functional.interpolate(
        t["img"], scale_factor=2, mode="nearest", align_corners=True), ValueError),
    Bad("BatchNorm2d 2-d input", lambda lib, d, t: _module(lib, d, lambda nn: nn.BatchNorm2d(3))(t["x"]), ValueError),
    Bad("BatchNorm1d 4-d input", lambda lib, d, t: _module(lib, d, lambda nn: nn.BatchNorm1d(2))(t["img"]),
        ValueError),
    Bad("GroupNorm groups", lambda lib, d, t: lib.nn.GroupNorm(3, 4), ValueError),
    Bad("GroupNorm channels", lambda lib, d, t: _module(lib, d, lambda nn: nn.GroupNorm(2, 4))(t["img"]),
        RuntimeError),
    Bad("Embedding padding_idx", lambda lib, d, t: lib.nn.Embedding(3, 2, padding_idx=5), AssertionError),
    Bad("Linear 0-d input", lambda lib, d, t: _module(lib, d, lambda nn: nn.Linear(1, 2))(t["v"][0]), RuntimeError),
    Bad("RNN num_layers 0", lambda lib, d, t: lib.nn.RNN(3, 2, num_layers=0), ValueError),
    Bad("RNN hidden_size 0", lambda lib, d, t: lib.nn.RNN(3, 0), ValueError),
    Bad("LSTM dropout > 1", lambda lib, d, t: lib.nn.LSTM(3, 2, dropout=1.5), ValueError),
    Bad("RNN 1-d input", lambda lib, d, t: _module(lib, d, lambda nn: nn.RNN(3, 2))(t["v"]), ValueError),
    Bad("GRU h0 batch", lambda lib, d, t: _module(lib, d, lambda nn: nn.GRU(3, 2))(
        t["seq"], lib.zeros(1, 4, 2, device=d)), RuntimeError),
    Bad("MultiheadAttention heads", lambda lib, d, t: lib.nn.MultiheadAttention(5, 2), AssertionError),
    Bad("Dropout negative p", lambda lib, d, t: lib.nn.Dropout(-0.1), ValueError),
    Bad("dropout p 2", lambda lib, d, t: lib.nn.functional.dropout(t["x"], 2.0), ValueError),
    Bad("ModuleList index", lambda lib, d, t: lib.nn.ModuleList([lib.nn.ReLU()])[2], IndexError),
    Bad("ModuleDict key", lambda lib, d, t: lib.nn.ModuleDict({"a": lib.nn.ReLU()})["b"], KeyError),
    Bad("register_buffer dotted", lambda lib, d, t: lib.nn.Module().register_buffer("a.b", t["v"]), KeyError),
    Bad("register_parameter tensor", lambda lib, d, t: lib.nn.Module().register_parameter("w", t["v"]), TypeError),
    Bad("get_submodule missing", lambda lib, d, t: lib.nn.Linear(2, 2).get_submodule("nope"), AttributeError),
    Bad("Module.to int dtype", lambda lib, d, t: lib.nn.Linear(2, 2).to(lib.int64), TypeError),
    Bad("load_state_dict unexpected", lambda lib, d, t: lib.nn.Linear(2, 2).load_state_dict(
        dict(lib.nn.Linear(2, 2).state_dict(), extra=lib.zeros(1))), RuntimeError),
    Bad("linear shapes", lambda lib, d, t: lib.nn.functional.linear(t["x"], t["x"][:, :2]), RuntimeError),
    Bad("cosine_similarity shapes", lambda lib, d, t: lib.nn.functional.cosine_similarity(t["x"], t["v"][:2]),
        RuntimeError),
    Bad("gelu bad approximate", lambda lib, d, t: lib.nn.functional.gelu(t["x"], approximate="fast"), RuntimeError),
    # ----- more losses ----------------------------------------------------------------------
    Bad("l1_loss not broadcastable", lambda lib, d, t: lib.nn.functional.l1_loss(t["x"], t["v"][:2]), RuntimeError),
    Bad("kl_div shapes", lambda lib, d, t: lib.nn.functional.kl_div(t["x"], t["v"][:2], reduction="sum"),
        RuntimeError),
    Bad("MSELoss bad reduction", lambda lib, d, t: lib.nn.MSELoss(reduction="bogus")(t["v"], t["v"]), ValueError),
    Bad("cross_entropy soft target shape", lambda lib, d, t: lib.nn.functional.cross_entropy(t["x"], t["x"][:, :2]),
        RuntimeError),
    # ----- more optimizers ------------------------------------------------------------------
    Bad("Adam negative lr", lambda lib, d, t: lib.optim.Adam([t["leaf"]], lr=-0.1), ValueError),
    Bad("Adam second beta", lambda lib, d, t: lib.optim.Adam([t["leaf"]], betas=(0.9, 1.0)), ValueError),
    Bad("AdamW negative weight decay", lambda lib, d, t: lib.optim.AdamW([t["leaf"]], weight_decay=-1.0), ValueError),
    Bad("RMSprop negative alpha", lambda lib, d, t: lib.optim.RMSprop([t["leaf"]], alpha=-1.0), ValueError),
    Bad("RMSprop negative momentum", lambda lib, d, t: lib.optim.RMSprop([t["leaf"]], momentum=-1.0), ValueError),
    Bad("Adagrad negative lr_decay", lambda lib, d, t: lib.optim.Adagrad([t["leaf"]], lr_decay=-1.0), ValueError),
    Bad("Adagrad negative accumulator", lambda lib, d, t: lib.optim.Adagrad(
        [t["leaf"]], initial_accumulator_value=-1.0), ValueError),
    Bad("param group set", lambda lib, d, t: lib.optim.SGD([{"params": {t["leaf"]}}], lr=0.1), TypeError),
    Bad("add_param_group not a dict", lambda lib, d, t: lib.optim.SGD([t["leaf"]], lr=0.1).add_param_group(
        [t["leaf"]]), TypeError),
    Bad("optimizer load_state_dict groups", lambda lib, d, t: lib.optim.SGD([t["leaf"]], lr=0.1).load_state_dict(
        {"state": {}, "param_groups": []}), ValueError),
    Bad("scheduler without optimizer", lambda lib, d, t: lib.optim.lr_scheduler.StepLR(object(), 1), TypeError),
    Bad("LambdaLR lambdas count", lambda lib, d, t: lib.optim.lr_scheduler.LambdaLR(
        lib.optim.SGD([t["leaf"]], lr=0.1), [lambda e: 1.0, lambda e: 1.0]), ValueError),
    # ----- more data loading ----------------------------------------------------------------
    Bad("DataLoader negative batch_size", lambda lib, d, t: lib.utils.data.DataLoader(_Range(), batch_size=-2),
        ValueError),
    Bad("DataLoader persistent without workers", lambda lib, d, t: lib.utils.data.DataLoader(
        _Range(), persistent_workers=True), ValueError),
    Bad("DataLoader negative prefetch", lambda lib, d, t: lib.utils.data.DataLoader(
        _Range(), num_workers=1, prefetch_factor=-1), ValueError),
    Bad("DataLoader context without workers", lambda lib, d, t: lib.utils.data.DataLoader(
        _Range(), multiprocessing_context="spawn"), ValueError),
    Bad("DataLoader set batch_size", lambda lib, d, t: setattr(lib.utils.data.DataLoader(_Range()), "batch_size", 2),
        ValueError),
    Bad("DataLoader batch_sampler and batch_size", lambda lib, d, t: lib.utils.data.DataLoader(
        _Range(), batch_size=2, batch_sampler=[[0, 1]]), ValueError),
    # ----- more creation, conversion, views -------------------------------------------------
    Bad("linspace float steps", lambda lib, d, t: lib.linspace(0, 1, 2.5, device=d), TypeError),
    Bad("eye negative columns", lambda lib, d, t: lib.eye(2, -1, device=d), RuntimeError),
    Bad("stack dim out of range", lambda lib, d, t: lib.stack([t["x"], t["x"]], 5), IndexError),
    Bad("cat 0-d", lambda lib, d, t: lib.cat([t["v"], t["v"][0]]), RuntimeError),
    Bad("multinomial 3-d", lambda lib, d, t: lib.multinomial(t["seq"].abs(), 1), RuntimeError),
    Bad("bool of empty", lambda lib, d, t: bool(t["empty"]), RuntimeError),
    Bad("item of empty", lambda lib, d, t: t["empty"].item(), RuntimeError),
    Bad("requires_grad_(False) on non-leaf", lambda lib, d, t: (t["leaf"] * 2).requires_grad_(False), RuntimeError),
    Bad("backward gradient shape", lambda lib, d, t: (t["leaf"] * 2).backward(lib.ones(5, device=d)), RuntimeError),
    Bad("retain_grad without grad", lambda lib, d, t: t["v"].retain_grad(), RuntimeError),
    Bad("register_hook without grad", lambda lib, d, t: t["v"].register_hook(lambda g: g), RuntimeError),
    Bad("unfold step 0", lambda lib, d, t: t["v"].unfold(0, 2, 0), RuntimeError),
    Bad("movedim out of range", lambda lib, d, t: t["x"].movedim(0, 5), IndexError),
    Bad("permute out of range", lambda lib, d, t: t["x"].permute(0, 2), IndexError),
    Bad("chunk negative", lambda lib, d, t: t["x"].chunk(-1), RuntimeError),
    Bad("slice step 0", lambda lib, d, t: t["x"][::0], ValueError),
    # ----- more reductions and element-wise -------------------------------------------------
    Bad("topk negative", lambda lib, d, t: t["v"].topk(-1), RuntimeError),
    Bad("median dim out of range", lambda lib, d, t: t["x"].median(5), IndexError),
    Bad("quantile q > 1", lambda lib, d, t: t["v"].quantile(2.0), RuntimeError),
    Bad("cumsum without dim", lambda lib, d, t: t["x"].cumsum(), TypeError),
    Bad("var dim out of range", lambda lib, d, t: t["x"].var(5), IndexError),
    Bad("argmax dim out of range", lambda lib, d, t: t["x"].argmax(5), IndexError),
    Bad("bincount negative", lambda lib, d, t: lib.bincount(t["i"] - 3), RuntimeError),
    Bad("outer 2-d", lambda lib, d, t: lib.outer(t["x"], t["v"]), RuntimeError),
    Bad("bmm batch mismatch", lambda lib, d, t: lib.bmm(t["seq"], t["seq"]), RuntimeError),
    Bad("clamp tensor bounds shape", lambda lib, d, t: t["x"].clamp(min=t["v"][:2]), RuntimeError),
    Bad("logical_and shapes", lambda lib, d, t: lib.logical_and(t["x"], t["v"][:2]), RuntimeError),
    Bad("masked_fill value tensor", lambda lib, d, t: t["v"].masked_fill(t["mask"], t["v"]), RuntimeError),
    Bad("fill_ with a vector", lambda lib, d, t: t["x"].clone().fill_(t["v"]), RuntimeError),
    Bad("int add float alpha", lambda lib, d, t: t["i"].add(1, alpha=0.5), RuntimeError),
    Bad("int div_", lambda lib, d, t: t["i"].div_(2), RuntimeError),
    Bad("bool add_", lambda lib, d, t: t["mask"].add_(1), RuntimeError),
    Bad("int sqrt_", lambda lib, d, t: t["i"].sqrt_(), RuntimeError),
    # ----- serialization --------------------------------------------------------------------
    Bad("save a lambda", lambda lib, d, t: lib.save(lambda: 1, io.BytesIO()), AttributeError),
]


def _twice(leaf):
    loss = (leaf * leaf).sum()
    loss.backward()
    loss.backward()


def _modified_saved(leaf):
    y = leaf * 1
    z = y * y
    y.mul_(2)
    z.sum().backward()
