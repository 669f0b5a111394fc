"""The conformance suite as pytest items (collected by ``pytest --pyargs unigrad.conformance``)."""
import pytest


def test_conformance(conformance_case):
    if not callable(conformance_case):  # a declared skip
        pytest.skip(conformance_case.message)
    result = conformance_case()
    if result.status != "passed":
        pytest.fail(f"{result.name} [{result.dtype}, {result.shape_class}] inputs {result.shapes}: "
                    f"{result.message}\nreproduce: {result.reproducer}", pytrace=False)
