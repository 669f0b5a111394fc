"""How much of PyTorch's public API (``pytorch_api.txt``) unigrad has.

``python tests/api_coverage/report.py`` prints the share per section and overall and the missing
names; ``--missing`` prints only the missing names (``section name`` per line).
"""
from __future__ import annotations

import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def load_names() -> list[tuple[str, str]]:
    entries = []
    for line in (HERE / "pytorch_api.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            section, name = line.split()
            entries.append((section, name))
    return entries


def namespace(section: str):
    """unigrad's counterpart of a PyTorch namespace (``None`` if unigrad has no such module)."""
    import unigrad
    if section == "torch":
        return unigrad
    if section == "Tensor":
        return unigrad.Tensor
    if section == "nn.Module":
        return unigrad.nn.Module
    try:
        return importlib.import_module(f"unigrad.{section}")
    except ImportError:
        obj = unigrad
        for part in section.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj


def present(section: str, name: str) -> bool:
    space = namespace(section)
    if space is None:
        return False
    try:
        getattr(space, name)
    except AttributeError:
        return False
    except Exception:  # a property that needs an instance (Tensor.shape) still exists
        return True
    return True


def missing() -> list[tuple[str, str]]:
    return [(s, n) for s, n in load_names() if not present(s, n)]


def main(argv: list[str]) -> None:
    entries = load_names()
    gaps = set(missing())
    if "--missing" in argv:
        for section, name in sorted(gaps):
            print(section, name)
        return
    sections: dict[str, list[int]] = {}
    for section, name in entries:
        counts = sections.setdefault(section, [0, 0])
        counts[1] += 1
        counts[0] += (section, name) not in gaps
    for section, (have, total) in sections.items():
        print(f"{section:22s} {have:4d}/{total:4d}  {100 * have / total:5.1f}%")
    have = len(entries) - len(gaps)
    print(f"{'all':22s} {have:4d}/{len(entries):4d}  {100 * have / len(entries):5.1f}%")


if __name__ == "__main__":
    main(sys.argv[1:])
