"""``CompiledFunction``: a small cache of captured programs per function, and the eager fallback.

A call tries the cached programs, most recently used first; the first whose guards hold replays.
When none does, the call is captured (it runs eagerly while recording) and, if it gives a program,
that program joins the cache -- up to ``config.cache_size_limit`` variants (PyTorch's default 8),
beyond which new variants run eagerly with one warning. A graph break makes the function eager
for good, with one warning naming the operation and the source line (``fullgraph=True`` raises
instead).
"""
from __future__ import annotations

import functools
import logging
import os
import warnings
import weakref

from . import capture as _capture
from .codegen import Miss

logger = logging.getLogger("unigrad.compiler")


class Config:
    """``unigrad.compiler.config``: process-wide compile settings."""

    def __init__(self) -> None:
        #: captured variants kept per function (PyTorch's ``cache_size_limit``)
        self.cache_size_limit = 8
        #: unreplayable captures in a row before a function is run eagerly for good
        self.unreplayable_limit = 2
        logs = {part.strip() for part in os.environ.get("UNIGRAD_LOGS", "").split(",") if part.strip()}
        #: log each graph break (with the source line) to the ``unigrad.compiler`` logger
        self.log_graph_breaks = bool(logs & {"graph_breaks", "all", "+all"})
        #: log why each recompile happened
        self.log_recompiles = bool(logs & {"recompiles", "all", "+all"})
        #: log each captured program (size, guards, capture time); ``"graph_code"`` adds its listing
        self.log_graphs = bool(logs & {"graphs", "graph_code", "all", "+all"})
        self.log_graph_code = bool(logs & {"graph_code", "all", "+all"})
        if logs and not logger.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("[unigrad.compile] %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


config = Config()
_all: "weakref.WeakSet[CompiledFunction]" = weakref.WeakSet()


class CompiledFunction:
    """What ``unigrad.compile(fn)`` returns: call it like ``fn``."""

    def __init__(self, fn, *, fullgraph: bool = False, memory_planning: bool = True,
                 replay_hook: bool = False, cache_size_limit: int | None = None,
                 name: str | None = None) -> None:
        self.fn = fn
        self.cache_size_limit = cache_size_limit  # None: config.cache_size_limit
        self.fullgraph = fullgraph
        self.memory_planning = memory_planning
        self.replay_hook = replay_hook
        self.programs: list = []
        self.broken = None  # BreakInfo once the function runs eagerly for good
        self.given_up: list[str] | None = None  # unreplayable reasons when it gave up
        self.limit_warned = False
        self.recompiles = 0
        self.captures = 0
        #: why the last recompile happened (the first guard that failed)
        self.last_miss = ""
        self._unreplayable_streak = 0
        self._name = name or getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
        functools.update_wrapper(self, fn, updated=())
        _all.add(self)

    def __get__(self, obj, objtype=None):
        """Decorating a method compiles the function; each instance binds as usual."""
        if obj is None:
            return self
        return functools.partial(self, obj)

    @property
    def _orig_fn(self):
        return self.fn

    def __call__(self, *args, **kwargs):
        if _capture.depth[0]:
            return self.fn(*args, **kwargs)  # inside another capture: recorded inline
        programs = self.programs
        miss = None
        for i, program in enumerate(programs):
            result = program.run(args, kwargs)
            if result.__class__ is not Miss:
                program.replays += 1
                if i:
                    programs.insert(0, programs.pop(i))
                return result
            if miss is None or result.index > miss[0]:  # the variant that matched longest
                miss = (result.index, program.guard_descriptions[result.index])
        if self.broken is not None or self.given_up is not None:
            return self.fn(*args, **kwargs)
        if miss is not None:
            self.last_miss = f"guard failed: {miss[1]}"
        return self._capture(args, kwargs)

    # ----- capturing -------------------------------------------------------------------------
    def _capture(self, args, kwargs):
        limit = self.cache_size_limit if self.cache_size_limit is not None else config.cache_size_limit
        if len(self.programs) >= limit:
            if not self.limit_warned:
                self.limit_warned = True
                warnings.warn(f"unigrad.compile: {self._name} hit the recompile limit "
                              f"(cache_size_limit={limit}); new variants run "
                              f"eagerly. Last guard that failed: {self.last_miss}", stacklevel=3)
            return self.fn(*args, **kwargs)
        if self.programs:
            self.recompiles += 1
            if config.log_recompiles:
                logger.info("recompiling %s: %s", self._name, self.last_miss)
        self.captures += 1
        result, outcome = _capture.capture(self.fn, args, kwargs, fullgraph=self.fullgraph,
                                           memory_planning=self.memory_planning,
                                           replay_hook=self.replay_hook)
        kind = type(outcome).__name__
        if kind == "Broken":
            self.broken = outcome.info
            if config.log_graph_breaks:
                logger.info("graph break in %s: %s", self._name, outcome.info)
            warnings.warn(f"unigrad.compile: graph break in {self._name}, running it eagerly: "
                          f"{outcome.info}", stacklevel=3)
        elif kind == "Unreplayable":
            self._unreplayable_streak += 1
            if self._unreplayable_streak >= config.unreplayable_limit:
                self.given_up = outcome.reasons
                warnings.warn(f"unigrad.compile: {self._name} changes Python state a replay cannot "
                              f"repeat, running it eagerly: {'; '.join(outcome.reasons[:3])}", stacklevel=3)
            elif config.log_recompiles:
                logger.info("%s: this call cannot be replayed (%s); capturing again on the next call",
                            self._name, "; ".join(outcome.reasons[:3]))
        else:
            self._unreplayable_streak = 0
            self.programs.insert(0, outcome)
            if config.log_graphs:
                logger.info("captured %s: %d primitive calls, %d inputs, %d guards, %.3f s",
                            self._name, outcome.primitive_count, len(outcome.inputs),
                            len(outcome.guard_descriptions), outcome.capture_seconds)
                if config.log_graph_code:
                    logger.info("%s", outcome.listing())
        return result

    def reset(self) -> None:
        """Forget every captured program and any graph break (``unigrad.compiler.reset``)."""
        self.programs = []
        self.broken = None
        self.given_up = None
        self.limit_warned = False
        self._unreplayable_streak = 0

    def __repr__(self) -> str:
        return f"<unigrad compiled {self._name}: {len(self.programs)} program(s)>"


def reset_all() -> None:
    for compiled in list(_all):
        compiled.reset()
