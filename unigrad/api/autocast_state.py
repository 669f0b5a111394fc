"""The per-thread autocast switch that frontend ops test on entry (a leaf module: no imports).

An op that autocast may recast begins with ``if autocast_state.local.active:`` and then hands its
arguments to ``autocast_state.dispatch(name, op, args, kwargs)``, which ``unigrad.amp`` installs.
``active`` is true only inside an enabled ``unigrad.autocast`` region and is switched off while a
dispatched op runs, so the ops it is built from are not recast again (as PyTorch runs the
autocast-wrapped kernel outside the autocast dispatch key).
"""
from __future__ import annotations

import functools
import threading


class _AutocastLocal(threading.local):
    #: an autocast region is enabled on this thread and no dispatched op is running
    active = False
    #: device type -> (enabled, dtype) for the regions entered on this thread
    settings: dict = {}
    #: how many autocast regions are open on this thread (the cast cache lives while > 0)
    depth = 0


local = _AutocastLocal()


def dispatch(name, op, args, kwargs):  # replaced by unigrad.amp when it is imported
    raise RuntimeError("unigrad.amp is not imported")


def autocast_op(name: str):
    """Decorator for an op autocast may recast: outside a region it costs one flag test."""
    def wrap(fn):
        @functools.wraps(fn)
        def op(*args, **kwargs):
            if local.active:
                return dispatch(name, fn, args, kwargs)
            return fn(*args, **kwargs)
        return op
    return wrap
