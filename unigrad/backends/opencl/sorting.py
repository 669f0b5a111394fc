"""The ``sort`` primitive on OpenCL: a stable merge sort of (key, position) pairs along one axis.

Two kernels, both over every row of the sorted axis at once:

* ``sort_tiles``: each work-item sorts one tile of ``TILE`` consecutive elements of a row by
  insertion (stable), reading the input and writing keys and positions. Rows of up to ``TILE``
  elements are done in this one launch.
* ``merge_tiles``: one pass merges neighbouring sorted runs of ``width`` elements into runs of
  ``2 * width``. Each work-item writes ``TILE`` consecutive outputs: it finds where its first
  output splits the two runs by a binary search along the merge path, then merges sequentially.
  A pass is ``O(n)`` work, so a row of ``n`` takes ``log2(n / TILE)`` passes and ``O(n log n)``
  work in all, on any number of rows, without padding or local memory.

Ties take the left run first, which keeps equal keys in position order (stable). Keys compare in
the total order the interface asks for (NaN above every number; last ascending, first
descending). Every buffer has the input's C-contiguous layout, viewed as ``(outer, n, inner)``:
row ``r`` is ``(r / inner, r % inner)`` and its element ``k`` sits at stride ``inner``.
"""
from __future__ import annotations

import math

import numpy as np

from . import codegen

#: elements a work-item sorts (first launch) or merges (each pass); a CPU core handles long
#: sequential stretches best, a GPU wants many work-items
TILE_CPU = 32
TILE_GPU = 8


def source(c: str, descending: bool, tile: int, inner_one: bool) -> str:
    """Both kernels for element type ``c``; ``inner_one`` specialises rows that are contiguous."""
    w = codegen.WORK.get(c, c)
    low, high = ("b", "a") if descending else ("a", "b")
    if codegen.is_float(c):
        before = f"{low} < {high} || (isnan({high}) && !isnan({low}))"
    else:
        before = f"{low} < {high}"
    at = "(r * n + (k))" if inner_one else "((r / inner) * n * inner + (k) * inner + r % inner)"
    return codegen.header(c) + f"""
#define AT(k) {at}
/* whether key a sorts strictly before key b */
inline int before({c} a_raw, {c} b_raw) {{
  {w} a = {codegen.load(c, w, "a_raw")}, b = {codegen.load(c, w, "b_raw")};
  return {before};
}}

__kernel void sort_tiles(__global const {c} *x, long x_off, __global {c} *keys, __global long *index,
                         long n, long inner, long tiles, long n_total) {{
  long g = get_global_id(0);
  if (g >= n_total) return;
  long r = g / tiles, start = (g % tiles) * {tile};
  int count = (int)min((long){tile}, n - start);
  {c} k_[{tile}];
  long i_[{tile}];
  for (int a = 0; a < count; a++) {{
    {c} v = x[x_off + AT(start + a)];
    int b = a;
    while (b > 0 && before(v, k_[b - 1])) {{ k_[b] = k_[b - 1]; i_[b] = i_[b - 1]; b--; }}
    k_[b] = v;
    i_[b] = start + a;
  }}
  for (int a = 0; a < count; a++) {{ keys[AT(start + a)] = k_[a]; index[AT(start + a)] = i_[a]; }}
}}

__kernel void merge_tiles(__global const {c} *src_keys, __global const long *src_index,
                          __global {c} *keys, __global long *index,
                          long n, long inner, long width, long tiles, long n_total) {{
  long g = get_global_id(0);
  if (g >= n_total) return;
  long r = g / tiles, first = (g % tiles) * {tile};
  long a0 = first / (2 * width) * (2 * width);
  long a_len = min(width, n - a0), b0 = a0 + a_len;
  long b_len = max(0L, min(width, n - b0));
  long d = first - a0;
  /* the merge path: how many of the first d outputs come from run a */
  long lo = max(0L, d - b_len), hi = min(d, a_len);
  while (lo < hi) {{
    long i = (lo + hi) >> 1;
    if (!before(src_keys[AT(b0 + d - i - 1)], src_keys[AT(a0 + i)])) lo = i + 1; else hi = i;
  }}
  long i = lo, j = d - lo;
  long last = min(first + {tile}, n);
  for (long o = first; o < last; o++) {{
    long from;
    if (i < a_len && (j >= b_len || !before(src_keys[AT(b0 + j)], src_keys[AT(a0 + i)]))) from = a0 + i++;
    else from = b0 + j++;
    keys[AT(o)] = src_keys[AT(from)];
    index[AT(o)] = src_index[AT(from)];
  }}
}}
"""


def sort(backend, x, axis: int, descending: bool):
    """``(values, indices)`` of the CLArray ``x`` stably sorted along ``axis``."""
    x = backend._contiguous(x)
    n = x.shape[axis]
    inner = math.prod(x.shape[axis + 1:])
    rows = x.size // n
    c = codegen.ctype(x.dtype)
    tile = TILE_CPU if backend.is_cpu else TILE_GPU
    inner_one = inner == 1
    key = ("sort", c, descending, tile, inner_one)
    make = lambda: (source(c, descending, tile, inner_one), None)  # noqa: E731
    sort_tiles = backend.programs.get(key, make, kernel_name="sort_tiles",
                                      scalar_types=lambda: [None, np.int64, None, None, np.int64, np.int64, np.int64,
                                                            np.int64])
    merge_tiles = backend.programs.get(key, make, kernel_name="merge_tiles",
                                       scalar_types=lambda: [None, None, None, None] + [np.int64] * 5)
    tiles = -(-n // tile)
    passes = max(0, (tiles - 1).bit_length())  # merges until one run covers the row
    buffers = [(backend._new(x.shape, x.dtype), backend._new(x.shape, np.int64))]
    if passes:
        buffers.append((backend._new(x.shape, x.dtype), backend._new(x.shape, np.int64)))
    # ping-pong so that the last pass writes buffers[0], the result
    target = passes % 2
    backend._launch_1d(sort_tiles, rows * tiles, x.data, x.offset, buffers[target][0].data,
                       buffers[target][1].data, n, inner, tiles)
    width = tile
    for _ in range(passes):
        source_pair, target = buffers[target], 1 - target
        backend._launch_1d(merge_tiles, rows * tiles, source_pair[0].data, source_pair[1].data,
                           buffers[target][0].data, buffers[target][1].data, n, inner, width, tiles)
        width *= 2
    return buffers[0]
