"""OpenCL C source for every kernel family, generated from one template per family.

Element-wise kernels are specialised by operation, dtypes and layout: a *contiguous* form (every
operand dense from its offset: element ``i`` is ``ptr[off + i]``) and a *strided* form for
``ndim`` dimensions (element ``i`` is unravelled over the shape and dotted with each operand's
strides, so views, zero-stride broadcasts and negative steps need no copies).

bfloat16 has no OpenCL C type: it is stored as ``bf16`` (a ``ushort`` holding the upper half of a
float32), computed in float, and converted only where values are loaded and stored (``load`` and
``store``), rounding to nearest even, so it needs no extension and runs on every device.
"""
from __future__ import annotations

import functools

import numpy as np

from ...api import dtypes as _dt
from .. import special_coefficients
from ..deferred_errors import DIVISION_FLAG

CTYPES = {
    "bool": "uchar", "uint8": "uchar", "int8": "char", "int16": "short", "int32": "int",
    "int64": "long", "uint32": "uint", "uint64": "ulong",
    "float16": "half", "bfloat16": "bf16", "float32": "float", "float64": "double",
}
#: the type arithmetic is done in (16-bit floats are computed in float)
WORK = {"half": "float", "bf16": "float"}
INT_LIMITS = {  # (lowest, highest) as OpenCL C constants
    "uchar": ("0", "UCHAR_MAX"), "char": ("CHAR_MIN", "CHAR_MAX"), "short": ("SHRT_MIN", "SHRT_MAX"),
    "int": ("INT_MIN", "INT_MAX"), "long": ("LONG_MIN", "LONG_MAX"), "uint": ("0", "UINT_MAX"),
    "ulong": ("0", "ULONG_MAX"),
}


_BY_DTYPE = {np.dtype(name): c for name, c in CTYPES.items() if name != "bfloat16"}
_BY_DTYPE[_dt.bfloat16.numpy] = "bf16"


def ctype(dtype: np.dtype) -> str:
    found = _BY_DTYPE.get(dtype)
    return found if found is not None else CTYPES[np.dtype(dtype).name]


def is_float(c: str) -> bool:
    return c in ("half", "bf16", "float", "double")


def param_type(c: str) -> str:
    """The C type of a scalar kernel argument holding a value of type ``c``."""
    return "float" if c == "bf16" else c


def load(c: str, w: str, expr: str) -> str:
    """The value of ``expr`` (an element of type ``c``) in work type ``w``."""
    return f"({w})bf16_load({expr})" if c == "bf16" else f"({w}){expr}"


def store(c: str, expr: str) -> str:
    """``expr`` converted to element type ``c`` for writing to memory."""
    return f"bf16_store((float)({expr}))" if c == "bf16" else f"({c})({expr})"


_BF16 = """
typedef ushort bf16;
inline float bf16_load(ushort v) { return as_float((uint)v << 16); }
inline ushort bf16_store(float f) {
  uint u = as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 0x0040u);  /* NaN stays NaN */
  return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);  /* round to nearest even */
}
"""


def header(*types: str) -> str:
    """Extension pragmas and helpers the given C types need."""
    lines = []
    if "double" in types:
        lines.append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable")
    if "half" in types:
        lines.append("#pragma OPENCL EXTENSION cl_khr_fp16 : enable")
    return "\n".join(lines) + "\n" + (_BF16 if "bf16" in types else "")


# ----- element-wise operations -------------------------------------------------------------------
def _helpers(w: str) -> str:
    """Helper functions over work type ``w`` that some expressions call."""
    if is_float(w):
        return f"""
inline {w} rem_w({w} a, {w} b) {{
  {w} r = fmod(a, b);
  if (b == 0) return r;
  if (r != 0) {{ if ((b < 0) != (r < 0)) r += b; }} else r = copysign(({w})0, b);
  return r;
}}
inline {w} max_w({w} a, {w} b) {{ return (isnan(a) || isnan(b)) ? a + b : (a > b ? a : b); }}
inline {w} min_w({w} a, {w} b) {{ return (isnan(a) || isnan(b)) ? a + b : (a < b ? a : b); }}
"""
    return f"""
inline {w} rem_w({w} a, {w} b) {{
  if (b == 0) return 0;
  {w} r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}}
inline {w} rem_checked({w} a, {w} b, __global int *flags) {{
  if (b == 0) {{ flags[{DIVISION_FLAG}] = 1; return 0; }}
  return rem_w(a, b);
}}
inline {w} pow_w({w} a, {w} b) {{
  {w} result = 1;
  while (b > 0) {{ if (b & 1) result *= a; a *= a; b >>= 1; }}
  return result;
}}
inline {w} max_w({w} a, {w} b) {{ return a > b ? a : b; }}
inline {w} min_w({w} a, {w} b) {{ return a < b ? a : b; }}
"""


_FLOAT_UNARY = {
    "exp": "exp(a)", "log": "log(a)", "log1p": "log1p(a)", "expm1": "expm1(a)", "sqrt": "sqrt(a)",
    "sin": "sin(a)", "cos": "cos(a)", "tanh": "tanh(a)", "erf": "erf(a)", "floor": "floor(a)",
    "round": "rint(a)", "abs": "fabs(a)", "neg": "-a",
    "sigmoid": "(a >= 0 ? 1 / (1 + exp(-a)) : exp(a) / (1 + exp(a)))",
    # the optional special primitives: OpenCL C built-ins, and helpers for erfinv and digamma
    "asin": "asin(a)", "acos": "acos(a)", "atan": "atan(a)", "sinh": "sinh(a)", "cosh": "cosh(a)",
    "asinh": "asinh(a)", "acosh": "acosh(a)", "atanh": "atanh(a)", "erfc": "erfc(a)", "lgamma": "lgamma(a)",
    "erfinv": "erfinv_w(a)", "digamma": "digamma_w(a)",
}
SPECIAL_HELPERS = ("erfinv", "digamma")  # ops whose helper functions a program must include


def _literal(w: str, value) -> str:
    """A floating constant of work type ``w`` (a float literal keeps float arithmetic in float)."""
    return f"{float(value)!r}f" if w == "float" else repr(float(value))


def _horner_c(w: str, var: str, coefficients) -> str:
    text = _literal(w, coefficients[0])
    for c in coefficients[1:]:
        text = f"({text} * {var} + {_literal(w, c)})"
    return text


def special_helpers(w: str) -> str:
    """``erfinv_w`` and ``digamma_w`` over floating work type ``w`` (float or double), with the
    approximations of ``special_coefficients`` (those the NumPy backend uses)."""
    pi = "M_PI_F" if w == "float" else "M_PI"
    lit = functools.partial(_literal, w)
    lines = [f"inline {w} erfinv_w({w} x) {{", f"  {w} w = -log((1 - x) * (1 + x)), p;"]
    pieces = special_coefficients.GILES32 if w == "float" else special_coefficients.GILES64
    for i, (bound, shift, root, coefficients) in enumerate(pieces):
        keyword = "if" if i == 0 else "else if" if bound is not None else "else"
        condition = f" (w < {lit(bound)})" if bound is not None else ""
        variable = f"(sqrt(w) - {lit(shift)})" if root else f"(w - {lit(shift)})"
        lines.append(f"  {keyword}{condition} {{ {w} v = {variable}; p = {_horner_c(w, 'v', coefficients)}; }}")
    if w == "float":
        (root_hi, root_lo), near_root = special_coefficients.DIGAMMA_ROOT32, special_coefficients.DIGAMMA_NEAR_ROOT32
    else:
        (root_hi, root_lo), near_root = special_coefficients.DIGAMMA_ROOT, special_coefficients.DIGAMMA_NEAR_ROOT
    series = _horner_c(w, "z", special_coefficients.DIGAMMA_SERIES)
    lines += [f"  return fabs(x) == 1 ? x * ({w})INFINITY : p * x;", "}",
              f"inline {w} digamma_w({w} x) {{",
              f"  if (x == 0) return copysign(({w})INFINITY, -x);",
              f"  {w} result = 0;",
              "  if (x < 0) {  /* reflection: psi(x) = psi(1 - x) - pi / tan(pi x) */",
              f"    if (x == floor(x)) return ({w})NAN;",
              f"    result = -{pi} / tan({pi} * (x - rint(x)));",
              "    x = 1 - x;",
              "  }",
              "  if (x < 1) { result -= 1 / x; x += 1; }",
              f"  if (x <= 2) return result + (x - {lit(root_hi)} - {lit(root_lo)}) * "
              f"{_horner_c(w, '(x - ' + lit(1.5) + ')', near_root)};",
              "  while (x < 10) { result -= 1 / x; x += 1; }",
              f"  {w} z = 1 / (x * x);",
              f"  return result + log(x) - {lit(0.5)} / x - z * {series};",
              "}"]
    return "\n".join(lines) + "\n"


def expression(op: str, w: str, is_bool: bool) -> str:
    """The C expression computing ``op`` on work-typed values ``a``, ``b`` (and condition ``c``)."""
    if op in _FLOAT_UNARY and (is_float(w) or op not in ("abs", "neg")):
        return _FLOAT_UNARY[op]
    table = {
        "neg": "-a", "abs": "(a < 0 ? -a : a)", "copy": "a",
        "add": "(a | b)" if is_bool else "a + b",
        "sub": "a - b",
        "mul": "(a & b)" if is_bool else "a * b",
        "div": "a / b",
        "pow": "pow(a, b)" if is_float(w) else "pow_w(a, b)",
        "maximum": "max_w(a, b)", "minimum": "min_w(a, b)", "remainder": "rem_w(a, b)",
        "atan2": "atan2(a, b)",
        "eq": "a == b", "lt": "a < b", "bitwise_and": "a & b", "where": "c ? a : b",
        "ne_zero": "a != 0",
    }
    return table[op]


def elementwise_source(ops: tuple, out_c: str, operands: list, ndim: int | None,
                       logical: bool = False, index: str = "uint", flags: bool = False) -> str:
    """One program with an element-wise kernel ``ew_<op>`` for each of ``ops`` (a family that
    shares a signature: building them together costs about what building one does).

    ``operands`` lists ``(letter, c_type, is_scalar)``; ``ndim`` None means the contiguous form;
    ``logical`` makes add/mul the bool or/and; ``index`` is the type positions are unravelled in;
    ``flags``: integer ``remainder`` flags a zero divisor in the launching thread's error flags.
    Arguments: ``out, out_off, [out strides], then per operand: ptr, off, [strides] or a scalar
    value, then [the flags buffer], then [the ndim sizes]``."""
    in_types = [c for _, c, _ in operands]
    value_type = in_types[1] if ops[0] == "where" else in_types[0]
    w = WORK.get(value_type, value_type)
    dims = [] if ndim is None else list(range(ndim))
    params = [f"__global {out_c} *out", "long out_off"] + [f"long out_s{d}" for d in dims]
    loads = []
    for letter, c, scalar in operands:
        load_type = "uchar" if letter == "c" else w
        if scalar:
            params.append(f"{param_type(c)} {letter}_val")
            loads.append(f"  {load_type} {letter} = ({load_type}){letter}_val;")
        else:
            params.append(f"__global const {c} *{letter}_ptr")
            params.append(f"long {letter}_off")
            params += [f"long {letter}_s{d}" for d in dims]
            at = f"{letter}_off + i" if ndim is None else f"{letter}_at"
            loads.append(f"  {load_type} {letter} = {load(c, load_type, f'{letter}_ptr[{at}]')};")
    if flags:
        params.append("__global int *flags")
    if ndim is None:
        params.append("long n_total")
        body = [f"  {index} i = get_global_id(0);", "  if (i >= n_total) return;"]
    else:
        # the NDRange is (innermost, next, the rest flattened): no division for ndim <= 3
        params += [f"long n{d}" for d in dims]
        arrays = ["out"] + [letter for letter, _, scalar in operands if not scalar]
        last = ndim - 1
        body = [f"  long i0 = get_global_id(0);", f"  if (i0 >= n{last}) return;"]
        body += [f"  long {a}_at = {a}_off + i0 * {a}_s{last};" for a in arrays]
        if ndim >= 2:
            body.append("  long i1 = get_global_id(1);")
            body += [f"  {a}_at += i1 * {a}_s{last - 1};" for a in arrays]
        if ndim >= 3:
            body.append(f"  {index} rest = get_global_id(2);")
            for d in reversed(range(ndim - 2)):
                if d == 0:
                    body.append("  { " + " ".join(f"{a}_at += rest * {a}_s0;" for a in arrays) + " }")
                else:
                    body.append(f"  {{ {index} k = rest % ({index})n{d}; rest /= ({index})n{d};")
                    body += [f"    {a}_at += k * {a}_s{d};" for a in arrays]
                    body.append("  }")
    body += loads
    target = "out[out_off + i]" if ndim is None else "out[out_at]"
    kernels = []
    for op in ops:
        result = "rem_checked(a, b, flags)" if flags else expression(op, w, logical)
        write = f"  {target} = {store(out_c, result)};"
        kernels.append(f"__kernel void ew_{op}(" + ", ".join(params) + ") {\n" + "\n".join(body + [write]) + "\n}\n")
    special = special_helpers(w) if is_float(w) and any(op in SPECIAL_HELPERS for op in ops) else ""
    return header(out_c, *in_types) + _helpers(w) + special + "".join(kernels)


# ----- reductions -------------------------------------------------------------------------------
def reduction_source(ops: tuple, in_c: str, out_c: str, kept: int, reduced: int, group: int,
                     wide: bool = False) -> str:
    """One program with a reduction kernel ``reduce_<op>`` for each of ``ops``; ``wide`` makes
    float sums and products accumulate in double (for devices with fp64)."""
    parts = [_reduction_kernel(op, in_c, out_c, kept, reduced, group, wide) for op in ops]
    acc = WORK.get(out_c, out_c) if ops[0] != "argmax" else WORK.get(in_c, in_c)
    return header(in_c, out_c, "double" if wide else "") + _helpers(acc) + "".join(parts)


def _reduction_kernel(op: str, in_c: str, out_c: str, kept: int, reduced: int, group: int, wide: bool) -> str:
    """A work-group tree reduction: work-group ``g`` reduces output element ``g``.

    ``kept``/``reduced`` are the numbers of kept and reduced dimensions (their sizes and the
    input's strides are arguments). Work-item ``l`` folds reduced positions ``l, l+group, ...``,
    then the group combines its ``group`` partial results in local memory."""
    name = f"reduce_{op}"
    acc = WORK.get(out_c, out_c) if op != "argmax" else WORK.get(in_c, in_c)
    if wide and op in ("sum", "prod") and is_float(acc):
        acc = "double"
    if op == "sum":
        init, combine = "0", "x + y"
    elif op == "prod":
        init, combine = "1", "x * y"
    elif op in ("max", "min", "argmax"):
        if is_float(acc):
            init = "-INFINITY" if op != "min" else "INFINITY"
        else:
            low, high = INT_LIMITS[acc]
            init = high if op == "min" else low
        combine = "max_w(x, y)" if op != "min" else "min_w(x, y)"
    else:
        raise ValueError(op)
    params = [f"__global {out_c} *out", f"__global const {in_c} *x", "long x_off", "long total"]
    params += [f"long kn{d}, long ks{d}" for d in range(kept)]
    params += [f"long rn{d}, long rs{d}" for d in range(reduced)]
    lines = ["  long g = get_group_id(0); int l = get_local_id(0);", "  long base = x_off, rest = g;"]
    for d in reversed(range(kept)):
        lines.append(f"  base += (rest % kn{d}) * ks{d}; rest /= kn{d};")
    lines.append(f"  {acc} v = {init};")
    if op == "argmax":
        lines.append("  long vi = LONG_MAX;")
    lines.append(f"  for (long r = l; r < total; r += {group}) {{")
    lines.append("    long at = base, q = r;")
    for d in reversed(range(reduced)):
        lines.append(f"    at += (q % rn{d}) * rs{d}; q /= rn{d};")
    lines.append(f"    {acc} y = {load(in_c, acc, 'x[at]')};")
    if op == "argmax":
        lines.append("    if (better(y, r, v, vi)) { v = y; vi = r; }")
    else:
        lines.append(f"    {acc} x = v; v = {combine};")
    lines.append("  }")
    if group > 1:
        lines.append(f"  __local {acc} scratch[{group}];")
        if op == "argmax":
            lines.append(f"  __local long scratch_i[{group}]; scratch_i[l] = vi;")
        lines.append("  scratch[l] = v; barrier(CLK_LOCAL_MEM_FENCE);")
        lines.append(f"  for (int half_ = {group // 2}; half_ > 0; half_ >>= 1) {{")
        lines.append("    if (l < half_) {")
        if op == "argmax":
            lines.append("      if (better(scratch[l + half_], scratch_i[l + half_], scratch[l], scratch_i[l])) "
                         "{ scratch[l] = scratch[l + half_]; scratch_i[l] = scratch_i[l + half_]; }")
        else:
            lines.append(f"      {acc} x = scratch[l], y = scratch[l + half_]; scratch[l] = {combine};")
        lines.append("    }")
        lines.append("    barrier(CLK_LOCAL_MEM_FENCE);")
        lines.append("  }")
        lines.append("  if (l == 0) " + ("out[g] = scratch_i[0];" if op == "argmax"
                                         else f"out[g] = {store(out_c, 'scratch[0]')};"))
    else:
        lines.append("  out[g] = " + ("vi;" if op == "argmax" else f"{store(out_c, 'v')};"))
    better = ""
    if op == "argmax":
        nan = "isnan" if is_float(acc) else "(int)0 & (int)"
        better = f"""
inline int better({acc} y, long yi, {acc} v, long vi) {{
  int yn = {nan}(y), vn = {nan}(v);
  if (yn || vn) return yn && (!vn || yi < vi);
  return y > v || (y == v && yi < vi);
}}
"""
    return better + f"__kernel void {name}(" + ", ".join(params) + ") {\n" + "\n".join(lines) + "\n}\n"


# ----- matrix multiplication ----------------------------------------------------------------------
def _pack_kernel(c: str, w: str, operand: str, size: int, inner: str) -> str:
    """``pack_<operand>_<inner>``: one work-item per element of the panels of ``size`` rows;
    dimension 0 walks ``k`` or the outer index ``o``, whichever the source's unit stride is."""
    ids = "p = get_global_id(0), o = get_global_id(1)" if inner == "k" else "o = get_global_id(0), p = get_global_id(1)"
    bound = "p >= k" if inner == "k" else f"o >= panels * {size}"
    return f"""
__kernel void pack_{operand}_{inner}(__global const {c} *S, long s_off, long sb, long so, long sp,
                           __global {w} *P, long outer, long k, long panels) {{
  long {ids}, batch = get_global_id(2);
  if ({bound}) return;
  {w} v = o < outer ? {load(c, w, "S[s_off + batch * sb + o * so + p * sp]")} : ({w})0;
  P[((batch * panels + o / {size}) * k + p) * {size} + o % {size}] = v;
}}
"""


def matmul_source(c: str, rows: int, width: int) -> str:
    """Packing kernels and a register-blocked micro-kernel.

    The pack kernels copy each panel of ``rows`` rows of A (any strides, zero-padded past the
    edge) so that the ``rows`` values of one k step are adjacent, and the same for panels of
    ``width`` columns of B; one work-item per element, walking the source's unit-stride axis. Work-item (j, i, batch) then accumulates a ``rows x width`` block in
    registers as ``rows`` vectors of ``width``, streaming both panels sequentially."""
    w = WORK.get(c, c)
    vec = f"{w}{width}"
    return header(c) + f"""
""" + "".join(_pack_kernel(c, w, operand, size, inner) for operand, size in (("a", rows), ("b", width))
                 for inner in ("k", "o")) + f"""
""" + _gemm_kernel(c, w, rows, width, direct=False) + _gemm_kernel(c, w, rows, width, direct=True)


def _gemm_kernel(c: str, w: str, rows: int, width: int, direct: bool) -> str:
    """``gemm`` reads A packed; ``gemm_direct_a`` reads A through its strides (rows past the edge
    clamped to the last row, their results discarded), saving the packing launch for small A."""
    vec = f"{w}{width}"
    if direct:
        a_args = "__global const " + c + " *A, long a_off, long sb, long sn, long sk"
        a_setup = (f"  __global const {c} *a[{rows}];\n"
                   f"  for (int r = 0; r < {rows}; r++) a[r] = A + a_off + batch * sb + min(rp * {rows} + r, n - 1) * sn;")
        a_value = load(c, w, "a[r][p * sk]")
    else:
        a_args = f"__global const {w} *PA"
        a_setup = f"  __global const {w} *a = PA + (batch * a_panels + rp) * k * {rows};"
        a_value = f"a[p * {rows} + r]"
    update = (f"fma(({vec})({a_value}), bv, acc[r])" if is_float(w) else f"acc[r] + ({vec})({a_value}) * bv")
    return f"""
__kernel void gemm{"_direct_a" if direct else ""}({a_args}, __global const {w} *PB, __global {c} *C,
                   long n, long m, long k, long a_panels, long b_panels, long p_begin, long p_end,
                   int accumulate) {{
  long cp = get_global_id(0), rp = get_global_id(1), batch = get_global_id(2);
  if (cp >= b_panels || rp >= a_panels) return;
{a_setup}
  __global const {w} *b = PB + (batch * b_panels + cp) * k * {width};
  long row0 = rp * {rows}, col0 = cp * {width};
  __global {c} *out = C + batch * n * m;
  {vec} acc[{rows}];
  for (int r = 0; r < {rows}; r++) {{
    {w} values[{width}];
    for (int j = 0; j < {width}; j++)
      values[j] = (accumulate && row0 + r < n && col0 + j < m) ? {load(c, w, "out[(row0 + r) * m + col0 + j]")} : ({w})0;
    acc[r] = vload{width}(0, values);
  }}
  for (long p = p_begin; p < p_end; p++) {{
    {vec} bv = vload{width}(p, b);
    #pragma unroll
    for (int r = 0; r < {rows}; r++) acc[r] = {update};
  }}
  if ({f"row0 + {rows} <= n && col0 + {width} <= m" if c == w else "0"}) {{
    for (int r = 0; r < {rows}; r++) vstore{width}(acc[r], 0, (__global {w} *)(out + (row0 + r) * m + col0));
  }} else {{
    for (int r = 0; r < {rows}; r++) {{
      if (row0 + r >= n) break;
      {w} values[{width}];
      vstore{width}(acc[r], 0, values);
      for (int j = 0; j < {width} && col0 + j < m; j++) out[(row0 + r) * m + col0 + j] = {store(c, "values[j]")};
    }}
  }}
}}
"""


# ----- indexing ----------------------------------------------------------------------------------
def indexing_source(c: str, ndim: int, axis: int) -> str:
    """gather / scatter / scatter_add / scatter_reduce along ``axis``, for ``ndim``-dimensional
    operands.

    ``gather`` gives each output element to one work-item. ``scatter_lines`` gives each *line*
    along the axis (all other coordinates fixed) to one work-item that walks it in order: writes
    that can collide share a line, so the last write wins for ``scatter`` and duplicates fold in
    order (``mode`` 1 add, 2 multiply, 3 max, 4 min, NaN propagating) deterministically, without
    atomics. Sizes are the index's shape ``n*``; ``xs*``/``ss*``/``is*`` are the strides of x, src
    and index."""
    w = WORK.get(c, c)
    dims = range(ndim)
    others = [d for d in dims if d != axis]

    def args(prefix):
        return ", ".join(f"long {prefix}{d}" for d in dims)

    gather_walk = "\n".join(
        f"  {{ long q = rest % n{d}; rest /= n{d}; i_at += q * is{d};"
        + ("" if d == axis else f" x_at += q * xs{d};") + " }" for d in reversed(dims))
    line_walk = "\n".join(
        f"  {{ long q = rest % n{d}; rest /= n{d}; x_at += q * xs{d}; s_at += q * ss{d}; i_at += q * is{d}; }}"
        for d in reversed(others))
    return header(c) + f"""
__kernel void gather(__global {c} *out, __global const {c} *x, long x_off, {args("xs")},
                     __global const long *index, long i_off, {args("is")}, long limit, __global int *error,
                     {args("n")}, long n_total) {{
  long i = get_global_id(0), rest = i, x_at = x_off, i_at = i_off;
  if (i >= n_total) return;
{gather_walk}
  long j = index[i_at];
  if (j < 0 || j >= limit) {{ error[0] = 1; out[i] = 0; return; }}
  out[i] = x[x_at + j * xs{axis}];
}}
__kernel void scatter_lines(__global {c} *x, long x_off, {args("xs")},
                            __global const long *index, long i_off, {args("is")},
                            __global const {c} *src, long s_off, {args("ss")},
                            int mode, long limit, __global int *error, {args("n")}, long n_total) {{
  long rest = get_global_id(0), x_at = x_off, s_at = s_off, i_at = i_off;
  if (rest >= n_total) return;
{line_walk}
  for (long t = 0; t < n{axis}; t++) {{
    long j = index[i_at + t * is{axis}];
    if (j < 0 || j >= limit) {{ error[0] = 1; continue; }}
    long target = x_at + j * xs{axis};
    {c} value = src[s_at + t * ss{axis}];
    if (mode == 0) {{ x[target] = value; continue; }}
    {w} old = {load(c, w, "x[target]")}, v = {load(c, w, "value")};
    {w} folded = mode == 1 ? old + v : mode == 2 ? old * v
               : mode == 3 ? ((v > old || v != v) ? v : old) : ((v < old || v != v) ? v : old);
    x[target] = {store(c, "folded")};
  }}
}}
"""


# ----- random numbers -----------------------------------------------------------------------------
def philox_source() -> str:
    """Philox4x32-10 blocks ``first .. first+blocks-1`` (layout documented on
    ``Backend.random_bits``): work-item ``b`` writes stream words ``4b .. 4b+3``."""
    return """
__kernel void philox(__global uint *out, ulong first, uint k0, uint k1, long n_total) {
  long b = get_global_id(0);
  if (b >= n_total) return;
  ulong counter = first + (ulong)b;
  uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0, c3 = 0;
  for (int round = 0; round < 10; round++) {
    ulong p0 = (ulong)c0 * 0xD2511F53UL, p1 = (ulong)c2 * 0xCD9E8D57UL;
    uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0, n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint)p1; c3 = (uint)p0; c0 = n0; c2 = n2;
    k0 += 0x9E3779B9U; k1 += 0xBB67AE85U;
  }
  out[4 * b] = c0; out[4 * b + 1] = c1; out[4 * b + 2] = c2; out[4 * b + 3] = c3;
}
"""


def uniform_source(c: str) -> str:
    """Exact uint32-words-to-[0, 1) maps of ``Backend.uniform_from_bits``."""
    if c == "double":
        body = ("ulong hi = bits[off + 2 * i] >> 5, lo = bits[off + 2 * i + 1] >> 6;\n"
                "  out[i] = (double)(hi * 67108864UL + lo) * 0x1p-53;")
    elif c == "half":
        body = "out[i] = (half)((float)(bits[off + i] >> 21) * 0x1p-11f);"
    elif c == "bf16":
        body = "out[i] = bf16_store((float)(bits[off + i] >> 24) * 0x1p-8f);"
    else:
        body = "out[i] = (float)(bits[off + i] >> 8) * 0x1p-24f;"
    return header(c) + f"""
__kernel void uniform(__global {c} *out, __global const uint *bits, long off, long n_total) {{
  long i = get_global_id(0);
  if (i >= n_total) return;
  {body}
}}
"""


def arange_source(c: str, fp64: bool) -> str:
    """``start + i * step`` computed in float64 (int64 for integers), then converted."""
    if is_float(c):
        work = "double" if fp64 else "float"
    else:
        work = "long"
    return header(c, work) + f"""
__kernel void arange(__global {c} *out, {work} start, {work} step, long n_total) {{
  long i = get_global_id(0);
  if (i >= n_total) return;
  out[i] = {store(c, f"start + ({work})i * step")};
}}
"""


# ----- softmax and log_softmax --------------------------------------------------------------------
def softmax_source(c: str, kept: int, group: int, log: bool) -> str:
    """One work-group per row along the softmax axis: a max pass, a sum-of-exponentials pass
    (both tree-reduced in local memory), then the normalised write. Output is contiguous."""
    w = WORK.get(c, c)
    params = [f"__global {c} *out", f"__global const {c} *x", "long x_off", "long length", "long x_step",
              "long out_step"]
    params += [f"long kn{d}, long ks{d}, long ko{d}" for d in range(kept)]
    walk = "\n".join(f"  base += (rest % kn{d}) * ks{d}; out_base += (rest % kn{d}) * ko{d}; rest /= kn{d};"
                     for d in reversed(range(kept)))
    reduce_step = lambda combine: f"""
  scratch[l] = v; barrier(CLK_LOCAL_MEM_FENCE);
  for (int h = {group // 2}; h > 0; h >>= 1) {{
    if (l < h) {{ {w} x_ = scratch[l], y_ = scratch[l + h]; scratch[l] = {combine}; }}
    barrier(CLK_LOCAL_MEM_FENCE);
  }}
  total_ = scratch[0]; barrier(CLK_LOCAL_MEM_FENCE);"""
    finish = "(y - peak) - log(total)" if log else "exp(y - peak) / total"
    return header(c) + _helpers(w) + f"""
__kernel void softmax({", ".join(params)}) {{
  long g = get_group_id(0); int l = get_local_id(0);
  long base = x_off, out_base = 0, rest = g;
{walk}
  __local {w} scratch[{group}];
  {w} v = -INFINITY, total_;
  for (long r = l; r < length; r += {group}) v = max_w(v, {load(c, w, "x[base + r * x_step]")});
  {reduce_step("max_w(x_, y_)")}
  {w} peak = total_;
  if (isinf(peak)) peak = 0;
  v = 0;
  for (long r = l; r < length; r += {group}) v += exp({load(c, w, "x[base + r * x_step]")} - peak);
  {reduce_step("x_ + y_")}
  {w} total = total_;
  for (long r = l; r < length; r += {group}) {{
    {w} y = {load(c, w, "x[base + r * x_step]")};
    out[out_base + r * out_step] = {store(c, finish)};
  }}
}}
"""


# ----- nonzero ------------------------------------------------------------------------------------
def nonzero_source(c: str, ndim: int) -> str:
    """One work-item walks a contiguous ``x`` in C order, writing the coordinates of non-zeros."""
    unravel = "\n".join(f"      out[w * {ndim} + {d}] = rest % n{d}; rest /= n{d};" for d in reversed(range(ndim)))
    sizes = "".join(f", long n{d}" for d in range(ndim))
    return header(c) + f"""
__kernel void nonzero(__global long *out, __global const {c} *x, long x_off, long size{sizes}) {{
  long w = 0;
  for (long i = 0; i < size; i++) {{
    if (x[x_off + i] != 0) {{
      long rest = i;
{unravel}
      w++;
    }}
  }}
}}
"""


# ----- matrix multiplication, local-memory tiled (the GPU-shaped candidate) -----------------------
def tiled_matmul_source(c: str, tile: int, depth: int, work: int) -> str:
    """``gemm_tiled``: a work-group of ``(tile/work)^2`` items computes a ``tile x tile`` block of
    C; A and B are staged through local memory ``depth`` columns/rows at a time (read through
    their strides, zero-filled past the edges) and each item keeps a ``work x work`` block of C in
    registers. Item rows/columns are interleaved (stride ``tile/work``) so that neighbouring
    items touch neighbouring local-memory words."""
    w = WORK.get(c, c)
    threads = tile // work
    loads = tile * depth // (threads * threads)
    update = "acc[i][j] = fma(a_reg[i], b_reg[j], acc[i][j]);" if is_float(w) else "acc[i][j] += a_reg[i] * b_reg[j];"
    return header(c) + f"""
__kernel __attribute__((reqd_work_group_size({threads}, {threads}, 1)))
void gemm_tiled(__global const {c} *A, long a_off, long a_sb, long a_sn, long a_sk,
                __global const {c} *B, long b_off, long b_sb, long b_sk, long b_sm,
                __global {c} *C, long n, long m, long k) {{
  __local {w} As[{depth}][{tile}];
  __local {w} Bs[{depth}][{tile}];
  int tx = get_local_id(0), ty = get_local_id(1), flat = ty * {threads} + tx;
  long col0 = get_group_id(0) * {tile}, row0 = get_group_id(1) * {tile}, batch = get_global_id(2);
  __global const {c} *a = A + a_off + batch * a_sb;
  __global const {c} *b = B + b_off + batch * b_sb;
  {w} acc[{work}][{work}];
  for (int i = 0; i < {work}; i++) for (int j = 0; j < {work}; j++) acc[i][j] = 0;
  for (long p0 = 0; p0 < k; p0 += {depth}) {{
    for (int l = 0; l < {loads}; l++) {{
      int e = flat + l * {threads * threads};
      int kk = e % {depth}, rr = e / {depth};
      long row = row0 + rr, col = col0 + rr, p = p0 + kk;
      As[kk][rr] = (row < n && p < k) ? {load(c, w, "a[row * a_sn + p * a_sk]")} : ({w})0;
      Bs[kk][rr] = (col < m && p < k) ? {load(c, w, "b[p * b_sk + col * b_sm]")} : ({w})0;
    }}
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int kk = 0; kk < {depth}; kk++) {{
      {w} a_reg[{work}], b_reg[{work}];
      for (int i = 0; i < {work}; i++) a_reg[i] = As[kk][ty + i * {threads}];
      for (int j = 0; j < {work}; j++) b_reg[j] = Bs[kk][tx + j * {threads}];
      for (int i = 0; i < {work}; i++) for (int j = 0; j < {work}; j++) {update}
    }}
    barrier(CLK_LOCAL_MEM_FENCE);
  }}
  __global {c} *out = C + batch * n * m;
  for (int i = 0; i < {work}; i++) {{
    long row = row0 + ty + i * {threads};
    if (row >= n) continue;
    for (int j = 0; j < {work}; j++) {{
      long col = col0 + tx + j * {threads};
      if (col < m) out[row * m + col] = {store(c, "acc[i][j]")};
    }}
  }}
}}
"""
