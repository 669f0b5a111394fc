"""The CUDA backend's kernel sources compile with nvcc (which needs no GPU), and the Philox
source, compiled for the host, produces the same stream as the CPU backend. Execution on a GPU is
covered by the conformance suite wherever one exists."""
import shutil
import subprocess

import numpy as np
import pytest

from unigrad.backends.cupy import kernels
from unigrad.backends.numpy import philox

nvcc = shutil.which("nvcc")
pytestmark = pytest.mark.skipif(nvcc is None, reason="nvcc not on PATH: CUDA sources not compiled")


def _compile(tmp_path, name, source, *flags):
    path = tmp_path / f"{name}.cu"
    path.write_text(source)
    completed = subprocess.run([nvcc, *flags, "-o", str(tmp_path / name), str(path)], capture_output=True,
                               text=True, timeout=300)
    assert completed.returncode == 0, f"{name}:\n{completed.stderr[-3000:]}"
    return tmp_path / name


@pytest.mark.parametrize("name", sorted(kernels.raw_sources()))
def test_raw_kernel_compiles(tmp_path, name):
    _compile(tmp_path, name, kernels.raw_sources()[name], "-c")


@pytest.mark.parametrize("name", sorted(kernels.ELEMENTWISE))
@pytest.mark.parametrize("ctype", ["float", "double"])
def test_elementwise_body_compiles(tmp_path, name, ctype):
    _compile(tmp_path, f"{name}_{ctype}", kernels.elementwise_translation_unit(kernels.ELEMENTWISE[name], ctype), "-c")


def test_philox_source_matches_the_cpu_stream(tmp_path):
    seed, first, blocks = 0x1234_5678_9ABC_DEF0, 5, 7
    harness = kernels.PHILOX + r"""
#include <cstdio>
int main() {
  unsigned int words[4];
  for (unsigned long long b = 0; b < %d; b++) {
    unigrad_philox_block(%dull + b, %uu, %uu, words);
    printf("%%u %%u %%u %%u\n", words[0], words[1], words[2], words[3]);
  }
}
""" % (blocks, first, seed & 0xFFFFFFFF, seed >> 32)
    program = _compile(tmp_path, "philox_host", harness)
    printed = subprocess.run([str(program)], capture_output=True, text=True, timeout=60).stdout.split()
    expected = philox.random_bits(np, seed, 4 * first, 4 * blocks)
    np.testing.assert_array_equal(np.array(printed, dtype=np.uint64), expected.astype(np.uint64))
