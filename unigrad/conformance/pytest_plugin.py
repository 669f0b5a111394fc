"""pytest integration: ``pytest --pyargs unigrad.conformance --unigrad-device NAME`` runs the
suite as ordinary test items (so -k, -x and pytest-xdist work)."""
from __future__ import annotations


def pytest_addoption(parser) -> None:
    group = parser.getgroup("unigrad")
    group.addoption("--unigrad-device", default="cpu",
                    help="device the unigrad conformance suite certifies (default: cpu)")
    group.addoption("--unigrad-dtype", action="append", default=None,
                    help="only run conformance cases of this dtype (repeatable)")


def pytest_generate_tests(metafunc) -> None:
    if "conformance_case" not in metafunc.fixturenames:
        return
    from .runner import plan
    device = metafunc.config.getoption("--unigrad-device")
    jobs, skips = plan(device, metafunc.config.getoption("--unigrad-dtype"))
    params = [job for job in jobs] + [(f"{r.name}[{r.dtype},{r.shape_class}]", r) for r in skips]
    metafunc.parametrize("conformance_case", [job for _, job in params], ids=[label for label, _ in params])
