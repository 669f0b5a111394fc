"""CUDA C sources of the CUDA backend's custom kernels, and their lazily compiled CuPy handles.

Every source here is a complete translation unit (``RAW_SOURCES``) or an element-wise body
(``ELEMENTWISE``) so that the tests can compile each with ``nvcc`` on machines without a GPU.
"""
from __future__ import annotations

import functools

CTYPES = {"float32": "float", "float64": "double"}

#: Philox4x32-10 over blocks ``first .. first+blocks-1`` (the stream documented on
#: ``Backend.random_bits``): thread ``b`` writes stream words ``4b .. 4b+3``.
PHILOX = r"""
__host__ __device__ inline void unigrad_philox_block(unsigned long long counter, unsigned int k0,
                                                     unsigned int k1, unsigned int *words) {
  unsigned int c0 = (unsigned int)counter, c1 = (unsigned int)(counter >> 32), c2 = 0, c3 = 0;
  for (int round = 0; round < 10; round++) {
    unsigned long long p0 = 0xD2511F53ull * c0, p1 = 0xCD9E8D57ull * c2;
    unsigned int n0 = (unsigned int)(p1 >> 32) ^ c1 ^ k0, n2 = (unsigned int)(p0 >> 32) ^ c3 ^ k1;
    c1 = (unsigned int)p1; c3 = (unsigned int)p0; c0 = n0; c2 = n2;
    k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
  }
  words[0] = c0; words[1] = c1; words[2] = c2; words[3] = c3;
}

extern "C" __global__ void unigrad_philox(unsigned int *out, unsigned long long first, unsigned int k0,
                                          unsigned int k1, long long blocks) {
  long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= blocks) return;
  unigrad_philox_block(first + (unsigned long long)b, k0, k1, out + 4 * b);
}
"""

#: softmax / log_softmax over the last axis of a C-contiguous (rows, length) array: one block of
#: 256 threads per row, max and sum of exponentials reduced in shared memory.
SOFTMAX_TEMPLATE = r"""
extern "C" __global__ void unigrad_softmax_T(const T *x, T *out, long long length, int log_output) {
  __shared__ T scratch[256];
  const T *row = x + (long long)blockIdx.x * length;
  T *target = out + (long long)blockIdx.x * length;
  int t = threadIdx.x;
  T peak = row[t < length ? t : 0];  /* any element of the row starts the maximum */
  for (long long i = t; i < length; i += 256) {
    T v = row[i];
    peak = (isnan(v) || isnan(peak)) ? v + peak : (v > peak ? v : peak);
  }
  scratch[t] = peak;
  __syncthreads();
  for (int h = 128; h > 0; h >>= 1) {
    if (t < h) {
      T a = scratch[t], b = scratch[t + h];
      scratch[t] = (isnan(a) || isnan(b)) ? a + b : (a > b ? a : b);
    }
    __syncthreads();
  }
  peak = scratch[0];
  if (isinf(peak)) peak = 0;
  __syncthreads();
  T total = 0;
  for (long long i = t; i < length; i += 256) total += exp(row[i] - peak);
  scratch[t] = total;
  __syncthreads();
  for (int h = 128; h > 0; h >>= 1) {
    if (t < h) scratch[t] += scratch[t + h];
    __syncthreads();
  }
  total = scratch[0];
  for (long long i = t; i < length; i += 256) {
    T shifted = row[i] - peak;
    target[i] = log_output ? shifted - log(total) : exp(shifted) / total;
  }
}
"""

#: element-wise bodies for ``cupy.ElementwiseKernel`` (inputs ``x``, output ``y``)
ELEMENTWISE = {
    "sigmoid": "y = x >= 0 ? T(1) / (T(1) + exp(-x)) : exp(x) / (T(1) + exp(x))",
}


def softmax_source(dtype_name: str) -> str:
    c = CTYPES[dtype_name]
    return f"typedef {c} T;\n" + SOFTMAX_TEMPLATE.replace("unigrad_softmax_T", f"unigrad_softmax_{c}")


def raw_sources() -> dict[str, str]:
    """Every complete CUDA source of the backend, by kernel name (for compile checks)."""
    sources = {"unigrad_philox": PHILOX}
    for name, c in CTYPES.items():
        sources[f"unigrad_softmax_{c}"] = softmax_source(name)
    return sources


def elementwise_translation_unit(body: str, c: str) -> str:
    """An ``ElementwiseKernel`` body wrapped as CuPy does, for compiling it with nvcc."""
    return (f"typedef {c} T;\n"
            f"extern \"C\" __global__ void check(const T *xs, T *ys, long long n) {{\n"
            f"  long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;\n"
            f"  if (i >= n) return;\n  const T x = xs[i];\n  T y;\n  {body};\n  ys[i] = y;\n}}\n")


@functools.lru_cache(maxsize=None)
def raw_kernel(name: str):
    """The compiled ``cupy.RawKernel`` ``name`` (compiled once per process by CuPy, cached on
    disk by CuPy across processes)."""
    import cupy
    return cupy.RawKernel(raw_sources()[name], name)


@functools.lru_cache(maxsize=None)
def elementwise_kernel(name: str):
    import cupy
    return cupy.ElementwiseKernel("T x", "T y", ELEMENTWISE[name], f"unigrad_{name}")
