"""``torch.compile`` and ``torch.compiler``: capture a call once at the backend-primitive level,
then replay the recorded primitives with no frontend work (see ``unigrad/jit/``).

``unigrad.compile(fn)`` (or ``@unigrad.compile``) returns a callable that runs its first call
eagerly while recording every primitive the backends receive -- forward, autograd's backward,
optimizer updates -- and later calls replay that program after checking its guards (shapes,
dtypes, devices, module flags, hyperparameters...). ``unigrad.compile(module)`` returns a wrapper
module whose calls are compiled and whose parameters, ``state_dict`` and attributes are the
original's. What cannot be captured (host reads like ``.item()``, data-dependent shapes, hooks,
Python side effects) makes the function run eagerly, with one warning saying where;
``fullgraph=True`` raises instead.
"""
from __future__ import annotations

import functools

from .jit import capture as _capture
from .jit.compiled import CompiledFunction, config, reset_all

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "reset",
           "explain", "config", "Unsupported", "allow_in_graph", "assume_constant_result"]

MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
BACKENDS = (None, "inductor", "unigrad", "eager", "aot_eager", "cudagraphs")
#: ``options`` accepted by ``compile``: name -> (type, meaning)
OPTIONS = {
    "memory_planning": (bool, "reuse dead intermediate buffers as outputs of element-wise primitives"),
    "cudagraphs": (bool, "hand whole programs to the backend's replay_program hook (CUDA graphs)"),
    "triton.cudagraphs": (bool, "PyTorch's spelling of cudagraphs"),
    "cache_size_limit": (int, "captured variants kept for this function (default config.cache_size_limit, 8)"),
}


class Unsupported(RuntimeError):
    """Raised by ``fullgraph=True`` compiled functions where eager would break the graph
    (PyTorch's ``torch._dynamo.exc.Unsupported``)."""


def _settings(fullgraph, dynamic, backend, mode, options) -> dict:
    if mode not in MODES:
        raise RuntimeError(f"Unrecognized mode={mode!r}, should be one of: "
                           f"{', '.join(repr(m) for m in MODES if m)}")
    if callable(backend):
        raise RuntimeError("unigrad.compile does not take custom compiler backends (callables); "
                           f"use one of {', '.join(repr(b) for b in BACKENDS if b)}")
    if backend not in BACKENDS:
        raise RuntimeError(f"invalid backend {backend!r}; unigrad.compile accepts "
                           f"{', '.join(repr(b) for b in BACKENDS if b)}")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified "
                           "at the same time.")
    options = dict(options or {})
    for key, value in options.items():
        if key not in OPTIONS:
            listing = "; ".join(f"{name} ({kind.__name__}): {meaning}" for name, (kind, meaning) in OPTIONS.items())
            raise RuntimeError(f"Unexpected optimization option {key!r}; known options are: {listing}")
        kind = OPTIONS[key][0]
        if not isinstance(value, kind):
            raise RuntimeError(f"option {key!r} expects a {kind.__name__}, got {type(value).__name__}")
    replay_hook = mode == "reduce-overhead" or backend == "cudagraphs" or bool(
        options.get("cudagraphs", options.get("triton.cudagraphs", False)))
    return {"fullgraph": bool(fullgraph), "memory_planning": options.get("memory_planning", True),
            "replay_hook": replay_hook, "cache_size_limit": options.get("cache_size_limit")}


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend=None, mode=None,  # noqa: A001
            options=None, disable: bool = False, **kwargs):
    """Compile a function or module (``torch.compile``); usable as ``@compile`` and
    ``@compile(fullgraph=True, ...)``. Shapes are always specialized (``dynamic`` is accepted:
    a new shape is a new captured variant). Unknown ``mode``, ``backend`` or ``options`` raise
    RuntimeError listing the accepted values."""
    unknown = set(kwargs) - {"name"}
    if unknown:
        raise TypeError(f"compile() got unexpected keyword arguments {sorted(unknown)}")
    settings = _settings(fullgraph, dynamic, backend, mode, options)
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                  options=options, disable=disable)
    if disable:
        return model
    from .nn.modules.module import Module
    if isinstance(model, Module):
        from .jit.module import CompiledModule
        return CompiledModule(model, settings)
    if not callable(model):
        raise TypeError(f"unigrad.compile expects a callable or a Module, got {type(model).__name__}")
    return CompiledFunction(model, **settings)


def is_compiling() -> bool:
    """True while a compiled function's first call is being captured."""
    return _capture.depth[0] > 0


def is_dynamo_compiling() -> bool:
    return is_compiling()


def is_exporting() -> bool:
    return False


def disable(fn=None, recursive: bool = True, *, reason=None):
    """Keep ``fn`` out of compiled programs: called during a capture it breaks the graph (the
    enclosing compiled function then runs eagerly); a compiled function given here is returned
    as its original. Usable with or without arguments."""
    if fn is None:
        return lambda function: disable(function, recursive, reason=reason)
    if isinstance(fn, CompiledFunction):
        return fn.fn
    if getattr(fn, "_unigrad_disabled", False):
        return fn

    @functools.wraps(fn)
    def disabled(*args, **kwargs):
        if _capture.depth[0]:
            from .jit import scalars
            recorder = scalars.active[0]
            if recorder is not None:
                why = f": {reason}" if reason else ""
                recorder.graph_break(f"a call to {getattr(fn, '__qualname__', fn)!s}, marked "
                                     f"unigrad.compiler.disable{why}")
        return fn(*args, **kwargs)

    disabled._unigrad_disabled = True
    return disabled


def reset() -> None:
    """Forget every captured program and graph break of every compiled function."""
    reset_all()


def explain(fn, *args, **kwargs):
    """Capture ``fn(*args, **kwargs)`` once (this runs it) and report what was captured: the
    number of programs and primitive calls, graph breaks with their source lines, guards, and
    the program listing (``torch._dynamo.explain``)."""
    from .jit.explain import explain as _explain
    return _explain(fn, *args, **kwargs)


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn
