"""unigrad.save / unigrad.load: round trips, atomic writes (temporary files, modes, symbolic links),
the strict safetensors reader and unigrad's former safetensors-based checkpoints, clear errors."""
import json
import os
import pathlib
import struct
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest

import unigrad
from unigrad.serialization import CheckpointError, atomic

ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.fixture(autouse=True)
def _cpu_by_default():
    """Devices are named where they matter (test_round_trip_on_every_available_device)."""
    previous = unigrad.get_default_device()
    unigrad.set_default_device("cpu")
    yield
    unigrad.set_default_device(previous)


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


def test_unpicklable_objects_are_refused_as_torch_save_refuses_them(tmp_path):
    with pytest.raises(AttributeError, match="Can't pickle local object"):
        unigrad.save({"f": lambda: 1}, tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_truncated_corrupted_and_foreign_files_raise_clearly(tmp_path):
    path = tmp_path / "good"
    unigrad.save({"w": unigrad.arange(100.0)}, path)
    data = path.read_bytes()
    (tmp_path / "short").write_bytes(data[:-50])
    with pytest.raises(CheckpointError, match="truncated"):
        unigrad.load(tmp_path / "short")
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
    mapped = unigrad.load(path, mmap=True)
    assert mapped["a"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    ours = tmp_path / "ours.safetensors"
    x = unigrad.arange(6.0).reshape(2, 3)
    unigrad.serialization.save_safetensors({"w": x.t(), "b": unigrad.tensor([1, 2], dtype=unigrad.bfloat16)}, ours,
                                           metadata={"note": "hi"})
    assert safetensors_numpy.load_file(str(ours))["w"].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    back = unigrad.load(ours)
    assert back["w"].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]] and back["b"].dtype is unigrad.bfloat16
    with pytest.raises(TypeError, match="dict of str -> Tensor"):
        unigrad.serialization.save_safetensors({"w": [1.0]}, ours)


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


# ----- the strict safetensors reader ---------------------------------------------------------------
def safetensors_bytes(header, data: bytes = b"") -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


#: name -> (file bytes, whether the safetensors library itself refuses it too)
MALFORMED_SAFETENSORS = {
    "overlapping offsets": (safetensors_bytes({"a": _entry(), "b": _entry(shape=(1,), offsets=(4, 8))}, bytes(8)),
                            True),
    "a gap between tensors": (safetensors_bytes({"a": _entry(shape=(1,), offsets=(4, 8))}, bytes(8)), True),
    "trailing bytes": (safetensors_bytes({"a": _entry()}, bytes(9)), True),
    "truncated data": (safetensors_bytes({"a": _entry()}, bytes(7)), True),
    "float offsets": (safetensors_bytes(b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0.0, 8.0]}}',
                                        bytes(8)), True),
    "float shape": (safetensors_bytes(b'{"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}',
                                      bytes(8)), True),
    "negative shape": (safetensors_bytes({"a": _entry(shape=(-2,))}, bytes(8)), True),
    "boolean shape": (safetensors_bytes(b'{"a": {"dtype": "F32", "shape": [true], "data_offsets": [0, 4]}}',
                                        bytes(4)), True),
    "string offsets": (safetensors_bytes({"a": _entry(offsets=("0", "8"))}, bytes(8)), True),
    "three offsets": (safetensors_bytes({"a": _entry(offsets=(0, 4, 8))}, bytes(8)), True),
    "offsets past 2**64": (safetensors_bytes({"a": _entry(offsets=(0, 2**70))}, bytes(8)), True),
    "begin after end": (safetensors_bytes({"a": _entry(shape=(0,), offsets=(8, 0))}, bytes(8)), True),
    "shape overflowing 64 bits": (safetensors_bytes({"a": _entry(shape=(2**40, 2**40), offsets=(0, 8))}, bytes(8)),
                                  True),
    "shape [0, 2**40, 2**40]": (safetensors_bytes({"a": _entry(shape=(0, 2**40, 2**40), offsets=(0, 0))}), True),
    "header longer than the file": (struct.pack("<Q", 1000) + b"{}", True),
    "header over 100 MB announced": (struct.pack("<Q", 200_000_000) + b"{}" + bytes(64), True),
    "header not UTF-8": (safetensors_bytes(b'{"\xff": 1}'.replace(b"\\xff", b"\xff")), True),
    "header not JSON": (safetensors_bytes(b"{nope"), True),
    "header a JSON list": (safetensors_bytes(b"[1, 2]"), True),
    "NaN in the header": (safetensors_bytes(b'{"a": NaN}'), True),
    "a list where a tensor entry belongs": (safetensors_bytes({"a": [1, 2, 3]}), True),
    "a number where a tensor entry belongs": (safetensors_bytes({"a": 5}), True),
    "unknown dtype name": (safetensors_bytes({"a": _entry(dtype="X99")}, bytes(8)), True),
    "dtype not a string": (safetensors_bytes({"a": _entry(dtype=7)}, bytes(8)), True),
    "metadata not an object": (safetensors_bytes({"__metadata__": [1]}), True),
    "metadata values not strings": (safetensors_bytes({"__metadata__": {"x": 1}}), True),
    "nested 200,000 deep": (safetensors_bytes(b'{"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"), True),
    "a tensor named twice": (safetensors_bytes(b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
                                               b'"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}',
                                               bytes(8)), False),
    "a dtype unigrad lacks (U16)": (safetensors_bytes({"a": _entry(dtype="U16", shape=(2,), offsets=(0, 4))},
                                                      bytes(4)), False),
}


def test_malformed_safetensors_files_raise_checkpoint_error_with_path_and_reason(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    for name, (data, library_refuses) in MALFORMED_SAFETENSORS.items():
        path = tmp_path / "bad.safetensors"
        path.write_bytes(data)
        try:
            unigrad.load(path)
        except CheckpointError as error:
            assert str(error).startswith(f"{path}: ") and len(str(error)) > len(f"{path}: ") + 10, name
        except Exception as error:  # noqa: BLE001 - the point is which type escapes
            pytest.fail(f"{name}: {type(error).__name__}: {str(error)[:200]}")
        else:
            pytest.fail(f"{name}: loaded")
        if library_refuses:
            with pytest.raises(Exception):  # noqa: B017 - the library's own error types
                safetensors_numpy.load(data)


def test_safetensors_header_length_is_checked_before_anything_else_is_read(tmp_path, monkeypatch):
    from unigrad.serialization import sources
    path = tmp_path / "huge-header"
    path.write_bytes(struct.pack("<Q", 2**62) + b"{}")
    reads = []
    original = sources.Source.read_at
    def recording(self, offset, n, what=""):
        reads.append(n)
        return original(self, offset, n, what)
    monkeypatch.setattr(sources.Source, "read_at", recording)
    with pytest.raises(CheckpointError, match="header of 4611686018427387904 bytes"):
        unigrad.load(path)
    assert max(reads) <= 512


# ----- unigrad's former checkpoints (safetensors + a JSON structure) -------------------------------
def former_checkpoint(structure, tensors: dict) -> bytes:
    """A checkpoint as unigrad.save wrote them before the PyTorch format."""
    metadata = {"format": "unigrad-checkpoint", "version": "1",
                "unigrad": structure if isinstance(structure, str) else json.dumps(structure)}
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for key, array in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        code = {"float32": "F32", "int64": "I64"}[array.dtype.name]
        header[key] = {"dtype": code, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        metadata[f"device:{key}"] = "cpu"
        chunks.append(raw)
        offset += len(raw)
    raw_header = json.dumps(header).encode()
    raw_header += b" " * (-len(raw_header) % 8)
    return struct.pack("<Q", len(raw_header)) + raw_header + b"".join(chunks)


def test_former_unigrad_checkpoints_still_load(tmp_path):
    structure = {"__dict__": [["model", {"__dict__": [["weight", {"__tensor__": "t0", "requires_grad": True,
                                                                    "parameter": True}]], "ordered": True}],
                              ["epoch", 3], ["loss", {"__float__": "nan"}], ["pair", {"__tuple__": [1, None]}],
                              ["dtype", {"__dtype__": "float16"}], ["steps", {"__tensor__": "t1"}],
                              [{"__tuple__": [1, 2]}, "tuple key"]], "ordered": False}
    path = tmp_path / "old.ckpt"
    path.write_bytes(former_checkpoint(structure, {"t0": np.ones((2, 3), np.float32), "t1": np.arange(4)}))
    back = unigrad.load(path)
    assert isinstance(back["model"], OrderedDict) and isinstance(back["model"]["weight"], unigrad.nn.Parameter)
    assert back["model"]["weight"].tolist() == [[1.0] * 3] * 2 and back["steps"].dtype is unigrad.int64
    assert back["epoch"] == 3 and np.isnan(back["loss"]) and back["pair"] == (1, None)
    assert back["dtype"] is unigrad.float16 and back[(1, 2)] == "tuple key"


FORMER_MALFORMED = {
    "a list where a tensor key belongs": {"__tensor__": [1]},
    "a missing tensor": {"__tensor__": "t9"},
    "a number where dict items belong": {"__dict__": 5},
    "dict items that are not pairs": {"__dict__": [[1, 2, 3]]},
    "an unhashable key": {"__dict__": [[{"__dict__": [], "ordered": False}, 1]]},
    "an unknown dtype name": {"__dtype__": "complex64"},
    "a non-boolean flag": {"__tensor__": "t0", "parameter": "yes"},
    "an unknown marker": {"__what__": 1},
    "a float that is not a float": {"__float__": "1e999999"},
    "tuple items that are not a list": {"__tuple__": 5},
    "nested 200,000 deep": "[" * 200_000 + "]" * 200_000,
    "not JSON": "cos\nsystem\n",
}


def test_malformed_former_checkpoints_raise_checkpoint_error(tmp_path):
    for name, structure in FORMER_MALFORMED.items():
        path = tmp_path / "old.ckpt"
        path.write_bytes(former_checkpoint(structure, {"t0": np.ones(2, np.float32)}))
        with pytest.raises(CheckpointError) as error:
            unigrad.load(path)
        assert str(error.value).startswith(f"{path}: "), name


# ----- atomic writes: temporary files, modes, symbolic links ----------------------------------------
def test_a_killed_writer_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    path = tmp_path / "model.pt"
    writer = """
import sys, time, unigrad
from unigrad.serialization import zip_archive
def stall(self, *args, **kwargs):
    print("writing", flush=True)
    time.sleep(120)
zip_archive.ZipWriter.write_stream = stall
unigrad.save({"w": unigrad.ones(1000)}, sys.argv[1])
"""
    root = pathlib.Path(unigrad.__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen([sys.executable, "-c", writer, str(path)], stdout=subprocess.PIPE, env=env)
    try:
        assert process.stdout.readline().strip() == b"writing"
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    stale = [p for p in tmp_path.iterdir() if p.name.endswith(atomic.SUFFIX)]
    assert len(stale) == 1 and f"-{process.pid}-" in stale[0].name and not path.exists()
    host = atomic._host_tag()
    live = tmp_path / f".model.pt.{host}-{os.getpid()}-0000abcd{atomic.SUFFIX}"  # a live writer: kept
    elsewhere = tmp_path / f".model.pt.{'0' if host[0] != '0' else '1'}{host[1:]}-{process.pid}-0000abcd{atomic.SUFFIX}"
    live.write_bytes(b"x")
    elsewhere.write_bytes(b"x")  # another host's writer: its pid means nothing here, kept
    unigrad.save({"w": unigrad.ones(3)}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model.pt", live.name, elsewhere.name])
    assert unigrad.load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_file_mode_is_kept_or_follows_the_umask(tmp_path):
    existing = tmp_path / "existing.pt"
    existing.write_bytes(b"old")
    os.chmod(existing, 0o604)
    unigrad.save({"w": unigrad.ones(1)}, existing)
    assert existing.stat().st_mode & 0o777 == 0o604
    for umask, mode in ((0o077, 0o600), (0o002, 0o664)):
        previous = os.umask(umask)
        try:
            unigrad.save({"w": unigrad.ones(1)}, tmp_path / f"new{umask}.pt")
        finally:
            os.umask(previous)
        assert (tmp_path / f"new{umask}.pt").stat().st_mode & 0o777 == mode


def test_saving_onto_a_symbolic_link_writes_its_target(tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "model-3.pt"
    unigrad.save({"w": unigrad.zeros(2)}, target)
    link = tmp_path / "latest.pt"
    link.symlink_to(target)
    unigrad.save({"w": unigrad.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert unigrad.load(target)["w"].tolist() == [1.0, 1.0] and unigrad.load(link)["w"].tolist() == [1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.pt", "runs"]
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["model-3.pt"]


def test_saving_into_a_missing_directory_names_the_target(tmp_path):
    target = tmp_path / "missing" / "model.pt"
    with pytest.raises(RuntimeError) as error:
        unigrad.save({"w": unigrad.ones(1)}, target)
    assert str(target) in str(error.value) and "does not exist" in str(error.value)
    assert atomic.SUFFIX not in str(error.value)


def test_saving_to_write_only_streams():
    class Sink:  # no seek, no tell: records are written once, sizes follow each record
        def __init__(self):
            self.chunks = []

        def write(self, data):
            self.chunks.append(bytes(data))
            return len(data)
    sink = Sink()
    unigrad.save({"w": unigrad.arange(5.0)}, sink)
    import io
    assert unigrad.load(io.BytesIO(b"".join(sink.chunks)))["w"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    with pytest.raises(AttributeError, match="write"):
        unigrad.save({}, 42)
