"""The Backend interface: the primitive set every unigrad backend implements.

A backend computes **forward primitives only**, on its own native buffers (a NumPy array, a CuPy
array, an OpenCL buffer descriptor...). The frontend does everything else once, for every
backend: autograd, broadcasting, type promotion, shape and device checks, and every composite op.

What the frontend guarantees before it calls a primitive (so a backend need not check):

* Every buffer argument was created by this backend instance (same device).
* Binary/ternary operands have the **same shape and dtype** (broadcast operands arrive as stride-0
  views made with ``as_strided``), except that ``b`` may be a Python scalar (``bool``, ``int`` or
  ``float``) that the frontend has already checked against ``a``'s dtype (beside float16 and
  bfloat16, a float already rounded to that dtype).
* Axes are normalised: non-negative, sorted, unique tuples.
* dtypes are ``unigrad.dtype`` objects from ``supported_dtypes``.

What the frontend expects back:

* A native buffer exposing ``.shape`` (a tuple of ints).
* Results are new buffers that alias no input, except ``as_strided`` (a view) and the in-place
  primitives ``copy_``, ``scatter`` and ``scatter_add`` (which write into their first argument).
* Arithmetic element-wise primitives (the unary ones and ``add`` ... ``remainder``) take an
  optional ``out``: a buffer of the result's shape and dtype to write into and return. It may
  be a strided view (never with zero strides). The frontend passes it for in-place ops
  (``x.add_(y)``, where ``out`` is ``a`` itself) and to accumulate patches (``fold``); ``out``
  never overlaps an operand partially.
* Element-wise and reduction results have the dtype stated by each primitive.

Random numbers: ``random_bits`` is the only source of randomness, so a given seed gives bitwise the
same stream on every backend. The stream layout is documented on ``random_bits``.

A backend also declares ``name`` (its device type), ``supported_dtypes``, and may override the
optional fast paths and optional primitives at the bottom of this class (``None`` means: use the
frontend's composite).
"""
from __future__ import annotations

import abc
from typing import Any, ClassVar, Sequence

from ..api import dtypes as _dt

Buffer = Any  # a backend-native array; the frontend only reads its ``.shape``


class Backend(abc.ABC):
    """Base class of every backend. Subclass it, set ``name``, implement every abstract method."""

    #: device type this backend serves, e.g. ``"cpu"``; tensors show ``device(type=name, index=i)``
    name: ClassVar[str] = ""
    #: dtypes this backend can hold; others raise a clear error in the frontend. ``bfloat16`` is
    #: opt-in: add ``unigrad.bfloat16`` (NumPy dtype ``ml_dtypes.bfloat16``) once it is handled
    supported_dtypes: ClassVar[frozenset] = frozenset(_dt.CORE_DTYPES)
    #: binary/ternary primitives accept NumPy-broadcastable operands (the frontend then skips
    #: making stride-0 views); leave False to always receive equal shapes
    native_broadcasting: ClassVar[bool] = False
    #: the backend's gather/scatter/scatter_add check index ranges themselves and raise IndexError
    #: at the next host synchronisation (as CUDA does), so the frontend skips its host-side checks,
    #: which would force a device-to-host copy per indexing op
    deferred_index_checks: ClassVar[bool] = False
    #: the backend's integer ``remainder`` flags zero divisors itself and raises
    #: ``RuntimeError("ZeroDivisionError...")`` at the next host synchronisation (as
    #: ``deferred_index_checks``), so the frontend skips its host-side check of tensor divisors
    deferred_division_checks: ClassVar[bool] = False
    #: which of PyTorch's autocast op lists this device type follows: ``"cuda"`` (matmul and
    #: convolutions in low precision; reductions, softmax, norms, exp/log and losses in float32)
    #: or ``"cpu"`` (the CPU lists: only losses forced to float32); see ``unigrad.amp.policy``
    autocast_lists: ClassVar[str] = "cuda"
    #: the low-precision dtype ``autocast(device_type)`` uses when no dtype is given; None means
    #: float16 where supported, else bfloat16
    autocast_dtype: ClassVar[Any] = None
    #: process-group transports this backend offers beside MPI, as ``{name: "module:Class"}``
    #: (imported only when ``init_process_group(name)`` asks for one); the class extends
    #: ``unigrad.distributed.mpi.MPITransport`` and takes the timeout in seconds
    process_group_transports: ClassVar[dict] = {}
    #: whether this device type uses indices ("cpu" does not: its tensors say ``device(type='cpu')``)
    indexed: ClassVar[bool] = True
    #: whether this device type is an accelerator for ``unigrad.accelerator`` (PyTorch's
    #: ``torch.accelerator``): the first available one in the order cuda, opencl, then plugins
    #: that set this in registration order is "the" accelerator programs move their models to
    is_accelerator: ClassVar[bool] = False

    # ----- lifecycle (not primitives) -------------------------------------------------------
    @classmethod
    def probe(cls) -> tuple[bool, str]:
        """Whether this backend can run here, and if not, why (``(False, "CuPy not installed")``).
        Import heavy libraries here, lazily. Called once per process."""
        return True, ""

    @classmethod
    def device_count(cls) -> int:
        """How many devices of this type exist (valid indices are ``0 .. device_count()-1``)."""
        return 1

    @classmethod
    def inventory(cls) -> list[str]:
        """Lines naming the devices this backend found (``unigrad info`` prints them); only
        called when ``probe`` succeeded. Optional."""
        return []

    def __init__(self, index: int = 0) -> None:
        self.index = index

    def describe(self) -> str:
        """One line naming the hardware and library behind this backend instance."""
        return self.name

    def unsupported_reason(self, dtype: _dt.dtype) -> str:
        """Why this device cannot hold ``dtype`` (not in ``supported_dtypes``), for error
        messages; "" when there is nothing more to say."""
        return ""

    # ----- creation and transfer ------------------------------------------------------------
    @abc.abstractmethod
    def empty(self, shape: tuple, dtype: _dt.dtype) -> Buffer:
        """A new C-contiguous buffer of ``shape``; contents undefined."""

    @abc.abstractmethod
    def full(self, shape: tuple, value, dtype: _dt.dtype) -> Buffer:
        """A new C-contiguous buffer of ``shape`` filled with the Python scalar ``value``
        (already representable in ``dtype``; may be ``nan``/``inf`` for floats)."""

    @abc.abstractmethod
    def arange(self, start, stop, step, dtype: _dt.dtype) -> Buffer:
        """1-D ``[start, start+step, ...)`` up to ``stop`` (exclusive), like ``numpy.arange``
        computed in float64 (or int64 for integer dtypes), then cast to ``dtype``."""

    @abc.abstractmethod
    def from_numpy(self, array) -> Buffer:
        """Copy a host ``numpy.ndarray`` (any layout, dtype already supported) to this device.
        The result must not alias ``array`` unless the backend's memory *is* host memory and the
        frontend asked for that (see ``from_numpy_shared``)."""

    @abc.abstractmethod
    def to_numpy(self, x: Buffer):
        """A host ``numpy.ndarray`` with ``x``'s values, shape and dtype. May alias ``x`` when the
        device memory is host memory; the frontend copies where a caller could mutate it.
        Waits for pending work on ``x``."""

    def from_numpy_shared(self, array) -> Buffer | None:
        """Wrap a host array *without copying* (``unigrad.from_numpy``), or ``None`` if this
        device cannot share host memory."""
        return None

    def dlpack(self, x: Buffer):
        """An object exporting ``__dlpack__`` / ``__dlpack_device__`` for ``x`` (zero-copy where
        the memory allows). The default exports a host copy."""
        return self.to_numpy(x)

    def synchronize(self) -> None:
        """Wait until all queued work on this device has finished (no-op for synchronous
        backends)."""

    def data_ptr(self, x: Buffer) -> int | None:
        """Optional: what ``Tensor.data_ptr()`` returns, an integer naming where ``x``'s first
        element lives: its address in bytes where the device has addresses (so it can be handed
        to native code), else the storage's identity plus the byte offset. None (the default):
        the device gives none, and ``data_ptr()`` raises. (``storage_offset()`` comes from
        ``storage_position`` below.)"""
        return None

    def share_memory(self, x: Buffer) -> Buffer | None:
        """Optional: a C-contiguous buffer with ``x``'s values (shape and dtype) in memory that
        processes forked afterwards share (``Tensor.share_memory_()``, Hogwild training), or
        None (the default) when the device has no such memory."""
        return None

    def is_shared(self, x: Buffer) -> bool:
        """Optional: whether ``x`` lives in memory from ``share_memory`` (default False)."""
        return False

    # ----- memory, views, casting -----------------------------------------------------------
    @abc.abstractmethod
    def strides(self, x: Buffer) -> tuple:
        """``x``'s strides in **elements** (may be 0 or negative)."""

    @abc.abstractmethod
    def as_strided(self, x: Buffer, shape: tuple, strides: tuple, offset: int) -> Buffer:
        """A view aliasing ``x``'s memory: element ``i`` of the view is at element position
        ``offset + sum(i_k * strides[k])`` counted from ``x``'s first element. Strides may be 0
        (broadcast) or negative (flip); ``offset`` may be negative when ``x`` itself has negative
        strides. The frontend guarantees every addressed element lies inside ``x``'s storage.
        Writes through the view must be visible through ``x`` and vice versa."""

    @abc.abstractmethod
    def copy_(self, dst: Buffer, src: Buffer) -> None:
        """Write ``src`` into ``dst`` element-wise, in place (same shape and dtype). ``dst`` may
        be any view (never one with zero strides); the frontend stages through a temporary when
        ``dst`` and ``src`` overlap."""

    @abc.abstractmethod
    def cast(self, x: Buffer, dtype: _dt.dtype) -> Buffer:
        """A new buffer with ``x`` converted to ``dtype``: floats round to nearest even, float to
        int truncates toward zero, anything to bool is ``x != 0``."""

    # ----- element-wise unary (floating dtypes unless noted) -----------------------------------
    @abc.abstractmethod
    def neg(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """``-x`` (signed integer and floating dtypes)."""

    @abc.abstractmethod
    def abs(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """``|x|`` (signed integer and floating dtypes)."""

    @abc.abstractmethod
    def exp(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """``e**x``."""

    @abc.abstractmethod
    def log(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """Natural log; ``nan`` for ``x < 0``, ``-inf`` at 0."""

    @abc.abstractmethod
    def log1p(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """``log(1 + x)``, accurate for tiny ``x``."""

    @abc.abstractmethod
    def expm1(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """``exp(x) - 1``, accurate for tiny ``x``."""

    @abc.abstractmethod
    def sqrt(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """Square root; ``nan`` for ``x < 0``."""

    @abc.abstractmethod
    def sin(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """Sine (radians)."""

    @abc.abstractmethod
    def cos(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """Cosine (radians)."""

    @abc.abstractmethod
    def tanh(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """Hyperbolic tangent."""

    @abc.abstractmethod
    def erf(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """The error function (used by exact GELU)."""

    @abc.abstractmethod
    def floor(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """Round toward minus infinity (floating dtypes; the frontend handles integers)."""

    @abc.abstractmethod
    def round(self, x: Buffer, out: Buffer | None = None) -> Buffer:
        """Round half to even, like ``torch.round`` (floating dtypes)."""

    # ----- element-wise binary: same shape and dtype, ``b`` may be a Python scalar --------------
    @abc.abstractmethod
    def add(self, a: Buffer, b, out: Buffer | None = None) -> Buffer:
        """``a + b`` (bool: logical or)."""

    @abc.abstractmethod
    def sub(self, a: Buffer, b, out: Buffer | None = None) -> Buffer:
        """``a - b`` (never called with bool)."""

    @abc.abstractmethod
    def mul(self, a: Buffer, b, out: Buffer | None = None) -> Buffer:
        """``a * b`` (bool: logical and)."""

    @abc.abstractmethod
    def div(self, a: Buffer, b, out: Buffer | None = None) -> Buffer:
        """True division ``a / b`` (floating dtypes only; the frontend casts integers first)."""

    @abc.abstractmethod
    def pow(self, a: Buffer, b, out: Buffer | None = None) -> Buffer:
        """``a ** b``. For integer dtypes ``b`` is non-negative."""

    @abc.abstractmethod
    def maximum(self, a: Buffer, b, out: Buffer | None = None) -> Buffer:
        """Element-wise maximum, propagating NaN."""

    @abc.abstractmethod
    def minimum(self, a: Buffer, b, out: Buffer | None = None) -> Buffer:
        """Element-wise minimum, propagating NaN."""

    @abc.abstractmethod
    def remainder(self, a: Buffer, b, out: Buffer | None = None) -> Buffer:
        """``a - floor(a / b) * b``: the result has the sign of ``b`` (Python's ``%``). For integer
        dtypes ``b`` is never zero, unless the backend sets ``deferred_division_checks``: then it
        receives zero divisors and must flag them (see ``unigrad/backends/deferred_errors.py``)."""

    @abc.abstractmethod
    def eq(self, a: Buffer, b) -> Buffer:
        """``a == b`` as a bool buffer (NaN compares unequal)."""

    @abc.abstractmethod
    def lt(self, a: Buffer, b) -> Buffer:
        """``a < b`` as a bool buffer."""

    @abc.abstractmethod
    def bitwise_and(self, a: Buffer, b) -> Buffer:
        """``a & b`` (bool and integer dtypes; logical and for bool)."""

    # ----- ternary ----------------------------------------------------------------------------
    @abc.abstractmethod
    def where(self, condition: Buffer, a: Buffer, b) -> Buffer:
        """``a`` where ``condition`` (bool buffer) is true, else ``b``; all of one shape, ``a`` and
        ``b`` of one dtype (``b`` may be a Python scalar)."""

    # ----- reductions: ``axes`` is a sorted tuple of distinct non-negative axes --------------
    @abc.abstractmethod
    def sum(self, x: Buffer, axes: tuple, keepdims: bool, dtype: _dt.dtype) -> Buffer:
        """Sum over ``axes``, accumulating and returning ``dtype`` (the frontend picks int64 for
        integers and bool; it casts float16 and bfloat16 to float32 before calling). Empty sums are 0."""

    @abc.abstractmethod
    def prod(self, x: Buffer, axes: tuple, keepdims: bool, dtype: _dt.dtype) -> Buffer:
        """Product over ``axes`` in ``dtype`` (as ``sum``). Empty products are 1."""

    @abc.abstractmethod
    def max(self, x: Buffer, axes: tuple, keepdims: bool) -> Buffer:
        """Maximum over ``axes`` (non-empty), propagating NaN; same dtype as ``x``."""

    @abc.abstractmethod
    def min(self, x: Buffer, axes: tuple, keepdims: bool) -> Buffer:
        """Minimum over ``axes`` (non-empty), propagating NaN; same dtype as ``x``."""

    @abc.abstractmethod
    def argmax(self, x: Buffer, axis: int, keepdims: bool) -> Buffer:
        """int64 index of the maximum along one axis (non-empty); ties give the first index and
        NaN counts as larger than any number."""

    # ----- linear algebra ---------------------------------------------------------------------
    @abc.abstractmethod
    def matmul(self, a: Buffer, b: Buffer) -> Buffer:
        """Batched matrix product: ``a`` is ``(*B, n, k)``, ``b`` is ``(*B, k, m)`` with identical
        batch dims ``B`` (possibly none); result ``(*B, n, m)``. Floating dtypes; float16 and
        bfloat16 accumulate in float32 where the backend can (document it where it cannot)."""

    # ----- indexing ---------------------------------------------------------------------------
    @abc.abstractmethod
    def gather(self, x: Buffer, axis: int, index: Buffer) -> Buffer:
        """``out[i][j][k] = x[index[i][j][k]][j][k]`` (for ``axis=0``): ``index`` is int64 with
        ``x``'s ndim and in-range, non-negative values; result has ``index``'s shape."""

    @abc.abstractmethod
    def scatter(self, x: Buffer, axis: int, index: Buffer, src: Buffer) -> None:
        """In place: ``x[index[i][j]][j] = src[i][j]`` (for ``axis=0``). ``index`` and ``src`` have
        the same shape; with duplicate indices the last write in C order wins."""

    @abc.abstractmethod
    def scatter_add(self, x: Buffer, axis: int, index: Buffer, src: Buffer) -> None:
        """In place: ``x[index[i][j]][j] += src[i][j]`` (for ``axis=0``), accumulating duplicates.
        ``x`` is contiguous and owned by the frontend."""

    @abc.abstractmethod
    def nonzero(self, x: Buffer) -> Buffer:
        """int64 ``(n, x.ndim)`` coordinates of the non-zero elements of ``x``, in C order."""

    # ----- random -----------------------------------------------------------------------------
    @abc.abstractmethod
    def random_bits(self, seed: int, offset: int, count: int) -> Buffer:
        """``count`` uint32 words of the unigrad stream for ``seed``, starting at word ``offset``
        (a multiple of 4), as a 1-D buffer of dtype uint32 (a backend-internal dtype).

        The stream: block ``c`` (c = 0, 1, 2, ...) is Philox4x32-10 applied to the 128-bit
        counter ``(c mod 2**32, c // 2**32, 0, 0)`` with the 64-bit key
        ``(seed mod 2**32, seed // 2**32)``; its four output words are stream words
        ``4c .. 4c+3``. Bitwise identical on every backend. ``cast`` must accept the result
        (the frontend casts it to int64 for ``randint``)."""

    @abc.abstractmethod
    def uniform_from_bits(self, bits: Buffer, dtype: _dt.dtype) -> Buffer:
        """Map uint32 words to floats in [0, 1): float32 uses one word each, ``(w >> 8) * 2**-24``;
        float16 one word each, ``(w >> 21) * 2**-11``; bfloat16 one word each, ``(w >> 24) * 2**-8``;
        float64 uses two consecutive words per element (``hi, lo``),
        ``((hi >> 5) * 2**26 + (lo >> 6)) * 2**-53``. Exact, so bitwise equal everywhere."""

    # ----- optional fast paths (None: the frontend composes them from primitives) -------------
    #: ``log_softmax(x, axis) -> Buffer`` over one axis, floating dtypes
    log_softmax = None
    #: ``softmax(x, axis) -> Buffer`` over one axis, floating dtypes
    softmax = None
    #: ``sigmoid(x) -> Buffer``, ``1 / (1 + exp(-x))`` without overflow, floating dtypes
    sigmoid = None
    #: ``max_pool(x, kernel, stride, dilation) -> (values, positions)``: maxima of the sliding
    #: windows over the trailing ``len(kernel)`` dims of a floating ``x`` (padded by the frontend,
    #: so windows stay inside it). ``values`` has shape ``(*lead, *out)`` and ``x``'s dtype;
    #: ``positions`` (int64, same shape) is the flat C-order position, within ``x``'s trailing
    #: dims, of each window's first maximum (a NaN counts as the maximum). May return
    #: ``NotImplemented`` to decline a case; the frontend then uses its composite.
    max_pool = None
    #: ``fold(patches, shape, kernel, stride, dilation) -> Buffer``: col2im, the adjoint of the
    #: sliding-window view. ``patches`` is logical ``(*lead, *out, *kernel)`` with any strides;
    #: returns a new C-contiguous buffer of ``shape`` (``(*lead, *spatial)``) holding at each
    #: position the sum of the patch elements read from it. May return ``NotImplemented``.
    fold = None
    #: ``scatter_reduce(x, axis, index, src, reduce) -> None``: in place, fold every source element
    #: into its target, ``x[index[i][j]][j] = reduce(x[index[i][j]][j], src[i][j])`` (for
    #: ``axis=0``), ``reduce`` one of ``"prod"``, ``"amax"``, ``"amin"`` (NaN propagates through
    #: amax/amin). ``index`` (int64, in range) and ``src`` have one shape, no larger than ``x``'s
    #: in every dim but ``axis``; ``x`` is contiguous and owned by the frontend; duplicates fold
    #: in any order. May return ``NotImplemented``; the frontend's composite then compares each
    #: source element with every target (work ``targets x sources``).
    scatter_reduce = None

    # ----- optional primitives (None: the frontend composes them from the required ones) -------
    #: ``sort(x, axis, descending) -> (values, indices)``: ``x`` sorted along ``axis`` in a
    #: **stable** order (elements that compare equal keep their order of position, in both
    #: directions), NaN counting as larger than every number: last ascending, first descending.
    #: ``x`` has at least one dimension and one element, any layout, and any supported dtype but
    #: bool (the frontend sorts bool as uint8); ``-0.0`` and ``0.0`` compare equal. ``values`` has
    #: ``x``'s shape and dtype, ``indices`` (int64, same shape) the position along ``axis`` each
    #: value came from; both C-contiguous. Stability makes the result unique, so every backend
    #: returns the same indices (``topk``, ``unique`` and ``multinomial`` build on them).
    sort = None
    # ----- optional whole-program replay (not a primitive: used by unigrad.compile) ------------
    #: ``replay_program(body, inputs, written, stable) -> callable | None``: offered, under
    #: ``unigrad.compile(..., mode="reduce-overhead")``, each captured program made only of this
    #: backend's primitive calls with constant arguments, before its first replay. ``body(inputs)``
    #: runs the program on a tuple of input buffers and returns the buffers it hands out;
    #: ``written`` holds the positions of the inputs it writes in place, ``stable`` those that are
    #: the same buffers on every call (parameters, optimizer state). Return a callable with
    #: ``body``'s contract (e.g. a CUDA graph captured from ``body``: capturing must not run it)
    #: whose outputs are fresh buffers on every call, or None to decline. Default None.
    replay_program = None
    # ----- optional storage identity (not a primitive: metadata for unigrad.save) ---------------
    #: ``storage_position(x) -> (key, byte_position)``: which allocation ``x`` aliases and where its
    #: first element lies in it. ``key`` is hashable, equal for ``x`` and every view made from it by
    #: ``as_strided`` (while they live) and different for distinct live allocations;
    #: ``byte_position`` is the byte position of ``x``'s first element in a frame fixed per
    #: allocation (an address, or an offset from the allocation's start). ``unigrad.save`` uses it
    #: to write views of one allocation as one storage, as PyTorch shares storages; None: every
    #: buffer object is saved as a storage of its own (values and strides survive, sharing does not)
    storage_position = None

    # ----- optional element-wise primitives (None: the frontend composes them) -----------------
    # Each takes floating buffers and an optional ``out`` like the unary primitives above, and
    # returns ``x``'s dtype (16-bit floats may be computed in float32 and rounded once).
    #: ``asin(x, out=None)``, ``acos(x, out=None)``: arcsine in [-pi/2, pi/2], arccosine in
    #: [0, pi]; NaN outside [-1, 1]
    asin = None
    acos = None
    #: ``atan(x, out=None) -> Buffer``: the arctangent, in [-pi/2, pi/2]
    atan = None
    #: ``atan2(a, b, out=None) -> Buffer``: the angle of the point ``(b, a)``, in [-pi, pi], as C's
    #: ``atan2`` (signed zeros: ``atan2(+-0, -0) = +-pi``; ``atan2(inf, inf) = pi/4``); ``b`` may be
    #: a Python float
    atan2 = None
    #: ``sinh``, ``cosh``, ``asinh``, ``acosh``, ``atanh`` ``(x, out=None) -> Buffer``: the
    #: hyperbolic functions and their inverses (``acosh`` NaN below 1, ``atanh`` +-inf at +-1 and
    #: NaN beyond); sinh and cosh finite wherever their value is
    sinh = None
    cosh = None
    asinh = None
    acosh = None
    atanh = None
    #: ``erfc(x, out=None) -> Buffer``: ``1 - erf(x)`` with relative accuracy where erf is near 1
    #: (down to underflow, about x = 26.5 in float64)
    erfc = None
    #: ``erfinv(x, out=None) -> Buffer``: the inverse of erf on (-1, 1); +-inf at +-1, NaN outside
    erfinv = None
    #: ``lgamma(x, out=None) -> Buffer``: ``log |Gamma(x)|``; +inf at 0, -1, -2, ... and at +-inf
    lgamma = None
    #: ``digamma(x, out=None) -> Buffer``: ``d/dx log Gamma(x)``; -inf at +0, +inf at -0, NaN at
    #: the negative integers and at -inf
    digamma = None


REQUIRED_PRIMITIVES = tuple(sorted(Backend.__abstractmethods__))
OPTIONAL_FAST_PATHS = ("log_softmax", "softmax", "sigmoid", "max_pool", "fold", "scatter_reduce")
#: primitives a backend may leave as None; the frontend then uses a composite of required ones
OPTIONAL_PRIMITIVES = ("sort", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh",
                       "erfc", "erfinv", "lgamma", "digamma")
