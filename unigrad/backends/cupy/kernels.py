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

#: Index kernels over arrays collapsed to (outer, n, inner) around the indexed axis, ``x`` and
#: ``index`` C-contiguous; an out-of-range index sets ``*flag`` (reported at the next host
#: synchronisation) and is skipped, as the deferred checks of ``Backend`` describe.
INDEX_TEMPLATE = r"""
extern "C" __global__ void unigrad_gather_T(const T *x, const long long *index, T *out, long long count,
                                            long long n_index, long long n_x, long long inner, int *flag) {
  long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count) return;
  long long k = index[t], i = t % inner, o = t / (inner * n_index);
  if (k < 0 || k >= n_x) { *flag = 1; out[t] = T(0); return; }
  out[t] = x[(o * n_x + k) * inner + i];
}

extern "C" __global__ void unigrad_scatter_add_T(T *x, const long long *index, const T *src, long long count,
                                                 long long n_index, long long n_x, long long inner, int *flag) {
  long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count) return;
  long long k = index[t], i = t % inner, o = t / (inner * n_index);
  if (k < 0 || k >= n_x) { *flag = 1; return; }
  atomicAdd(x + (o * n_x + k) * inner + i, src[t]);
}
"""

#: Window kernels over 2 spatial dims (1-d windows run with a height of 1).
#: max_pool: ``x`` C-contiguous (planes, H, W); per output, the window maximum and the flat
#: position (in the H*W plane) of its first maximum, a NaN counting as the maximum (PyTorch's rule).
#: fold (col2im): ``out`` C-contiguous (L0, L1, H, W) gets, at each position, the sum of every
#: patch element read from there; ``patches`` is logical (L0, L1, OH, OW, KH, KW) with any
#: element strides. Each output gathers its own terms: no atomics, a fixed summation order.
WINDOW_TEMPLATE = r"""
extern "C" __global__ void unigrad_max_pool_T(const T *x, T *out, long long *where, long long count,
    long long H, long long W, long long OH, long long OW, int KH, int KW, int SH, int SW, int DH, int DW) {
  long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count) return;
  long long ox = t % OW, oy = (t / OW) % OH, plane = t / (OW * OH);
  const T *base = x + plane * H * W;
  long long y0 = oy * SH, x0 = ox * SW, best_at = y0 * W + x0;
  T best = base[best_at];
  for (int ky = 0; ky < KH; ky++) {
    for (int kx = 0; kx < KW; kx++) {
      long long at = (y0 + ky * DH) * W + x0 + kx * DW;
      T v = base[at];
      if (!isnan(best) && (isnan(v) || v > best)) { best = v; best_at = at; }
    }
  }
  out[t] = best;
  where[t] = best_at;
}

extern "C" __global__ void unigrad_fold_T(const T *patches, T *out, long long count, long long L1,
    long long H, long long W, long long OH, long long OW, int KH, int KW, int SH, int SW, int DH, int DW,
    long long s0, long long s1, long long soy, long long sox, long long sky, long long skx) {
  long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count) return;
  long long px = t % W, py = (t / W) % H, l1 = (t / (W * H)) % L1, l0 = t / (W * H * L1);
  const T *base = patches + l0 * s0 + l1 * s1;
  T total = T(0);
  for (int ky = 0; ky < KH; ky++) {
    long long sy = py - (long long)ky * DH;
    if (sy < 0 || sy % SH != 0 || sy / SH >= OH) continue;
    for (int kx = 0; kx < KW; kx++) {
      long long sx = px - (long long)kx * DW;
      if (sx < 0 || sx % SW != 0 || sx / SW >= OW) continue;
      total += base[(sy / SH) * soy + (sx / SW) * sox + ky * sky + kx * skx];
    }
  }
  out[t] = total;
}
"""

#: range check of a C-contiguous int64 index array, for the paths that index through CuPy
INDEX_CHECK = r"""
extern "C" __global__ void unigrad_index_check(const long long *index, long long count, long long limit,
                                               int *flag) {
  long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (t < count && (index[t] < 0 || index[t] >= limit)) *flag = 1;
}
"""

#: element-wise bodies for ``cupy.ElementwiseKernel`` (inputs ``x``, output ``y``)
ELEMENTWISE = {
    "sigmoid": "y = x >= 0 ? T(1) / (T(1) + exp(-x)) : exp(x) / (T(1) + exp(x))",
}


def softmax_source(dtype_name: str) -> str:
    c = CTYPES[dtype_name]
    return f"typedef {c} T;\n" + SOFTMAX_TEMPLATE.replace("unigrad_softmax_T", f"unigrad_softmax_{c}")


def index_source(dtype_name: str) -> str:
    c = CTYPES[dtype_name]
    return f"typedef {c} T;\n" + INDEX_TEMPLATE.replace("_T(", f"_{c}(")


def window_source(dtype_name: str) -> str:
    c = CTYPES[dtype_name]
    return f"typedef {c} T;\n" + WINDOW_TEMPLATE.replace("_T(", f"_{c}(")


def raw_sources() -> dict[str, str]:
    """Every complete CUDA source of the backend, by kernel name (for compile checks)."""
    sources = {"unigrad_philox": PHILOX, "unigrad_index_check": INDEX_CHECK}
    for name, c in CTYPES.items():
        sources[f"unigrad_softmax_{c}"] = softmax_source(name)
        sources[f"unigrad_gather_{c}"] = sources[f"unigrad_scatter_add_{c}"] = index_source(name)
        sources[f"unigrad_max_pool_{c}"] = sources[f"unigrad_fold_{c}"] = window_source(name)
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
