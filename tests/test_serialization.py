"""unigrad.save / unigrad.load: round trips, safety, atomicity, clear errors."""
import os
import struct
from collections import OrderedDict

import numpy as np
import pytest

import unigrad
from unigrad.serialization import CheckpointError

ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_bitwise_round_trip_of_every_dtype(tmp_path):
    rng = np.random.default_rng(0)
    obj = {}
    for name in ALL_DTYPES:
        dtype = getattr(unigrad, name)
        if dtype.is_floating_point:
            values = rng.standard_normal((3, 4)).astype(dtype.numpy)
            values[0, 0] = np.nan
            values[0, 1] = -np.inf
            values[0, 2] = -0.0
        else:
            values = rng.integers(0, 2 if name == "bool" else 100, (3, 4)).astype(dtype.numpy)
        obj[name] = unigrad.tensor(values)
    obj["scalar"] = unigrad.tensor(3.5)
    obj["empty"] = unigrad.zeros(0, 5)
    obj["view"] = unigrad.arange(12.0).reshape(3, 4).t()[1:]
    path = tmp_path / "all.ckpt"
    unigrad.save(obj, path)
    back = unigrad.load(path)
    for key, value in obj.items():
        assert back[key].dtype == value.dtype and back[key].shape == value.shape
        assert back[key].numpy().tobytes() == np.ascontiguousarray(value.numpy()).tobytes(), key


def test_nested_structures_and_python_values(tmp_path):
    model = unigrad.nn.Linear(3, 2)
    opt = unigrad.optim.Adam(model.parameters(), lr=0.01)
    model(unigrad.ones(1, 3)).sum().backward()
    opt.step()
    obj = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
           "loss": float("nan"), "history": [1.5, float("inf")], "tag": "run-1",
           "pair": (1, None), "flags": {1: True, "x": [unigrad.ones(2)]}, "dtype": unigrad.float16}
    path = tmp_path / "ckpt"
    unigrad.save(obj, str(path))
    back = unigrad.load(str(path))
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == ["weight", "bias"]
    assert back["model"]["weight"].equal(model.weight.detach())
    assert back["epoch"] == 3 and np.isnan(back["loss"]) and back["history"] == [1.5, float("inf")]
    assert back["pair"] == (1, None) and back["flags"][1] is True and back["tag"] == "run-1"
    assert back["dtype"] is unigrad.float16
    fresh = unigrad.optim.Adam(model.parameters(), lr=0.5)
    fresh.load_state_dict(back["optimizer"])
    assert fresh.param_groups[0]["lr"] == 0.01
    assert fresh.state[model.weight]["exp_avg"].allclose(opt.state[model.weight]["exp_avg"])


def test_parameters_and_requires_grad_survive(tmp_path):
    p = unigrad.nn.Parameter(unigrad.ones(2))
    unigrad.save({"p": p, "t": unigrad.ones(1, requires_grad=True)}, tmp_path / "p")
    back = unigrad.load(tmp_path / "p")
    assert isinstance(back["p"], unigrad.nn.Parameter) and back["t"].requires_grad


def test_map_location(tmp_path):
    unigrad.save({"w": unigrad.ones(2)}, tmp_path / "m")
    assert unigrad.load(tmp_path / "m", map_location="cpu")["w"].device == unigrad.device("cpu")
    assert unigrad.load(tmp_path / "m", map_location={"cpu": "cpu"})["w"].device == unigrad.device("cpu")


def test_atomic_write_keeps_previous_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "model.ckpt"
    unigrad.save({"v": unigrad.tensor([1.0])}, path)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(os, "fsync", explode)
    with pytest.raises(OSError, match="simulated"):
        unigrad.save({"v": unigrad.tensor([2.0])}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.ckpt"]  # no temporary left behind


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot store objects of type"):
        unigrad.save({"f": lambda: 1}, tmp_path / "x")


def test_truncated_corrupted_and_foreign_files_raise_clearly(tmp_path):
    path = tmp_path / "good"
    unigrad.save({"w": unigrad.arange(100.0)}, path)
    data = path.read_bytes()
    (tmp_path / "truncated").write_bytes(data[:-50])
    with pytest.raises(CheckpointError, match="truncated"):
        unigrad.load(tmp_path / "truncated")
    (tmp_path / "tiny").write_bytes(b"abc")
    with pytest.raises(CheckpointError, match="too short"):
        unigrad.load(tmp_path / "tiny")
    (tmp_path / "garbage").write_bytes(struct.pack("<Q", 5) + b"{nope" + b"\0" * 10)
    with pytest.raises(CheckpointError, match="corrupted"):
        unigrad.load(tmp_path / "garbage")
    (tmp_path / "zip").write_bytes(b"PK\x03\x04" + os.urandom(200))
    with pytest.raises(CheckpointError):
        unigrad.load(tmp_path / "zip")


def test_a_pickle_payload_is_never_executed(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))
    (tmp_path / "evil.pt").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        unigrad.load(tmp_path / "evil.pt")
    assert not (tmp_path / "pwned").exists()
    # a crafted header smuggling a pickle as "structure" is only ever parsed as JSON
    header = b'{"__metadata__": {"format": "unigrad-checkpoint", "unigrad": "cos\\nsystem\\n"}}'
    (tmp_path / "crafted").write_bytes(struct.pack("<Q", len(header)) + header)
    with pytest.raises(CheckpointError, match="corrupted"):
        unigrad.load(tmp_path / "crafted")
    assert not (tmp_path / "pwned").exists()


def test_interoperates_with_the_safetensors_format(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "plain.safetensors"
    safetensors_numpy.save_file({"a": np.arange(6, dtype=np.float32).reshape(2, 3)}, str(path))
    loaded = unigrad.load(path)
    assert loaded["a"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    ours = tmp_path / "ours.ckpt"
    unigrad.save({"w": unigrad.ones(2, 2)}, ours)
    assert list(safetensors_numpy.load_file(str(ours)).values())[0].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_torch_state_dict_converted_in_memory_loads():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(3, 2)
    ours = unigrad.nn.Linear(3, 2)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert np.allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy())


def test_round_trip_on_every_available_device(tmp_path):
    for device in unigrad.backends.available():
        if device == "cuda" and not unigrad.cuda.is_available():
            continue
        values = unigrad.tensor(np.arange(12, dtype=np.float32).reshape(3, 4), device=device)
        path = tmp_path / f"{device}.ckpt"
        unigrad.save({"x": values, "i": values.long()}, path)
        back = unigrad.load(path)
        assert back["x"].device == values.device and back["i"].dtype == unigrad.int64
        assert back["x"].cpu().numpy().tobytes() == values.cpu().numpy().tobytes()
        moved = unigrad.load(path, map_location="cpu")
        assert moved["x"].device == unigrad.device("cpu")
