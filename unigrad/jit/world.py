"""The world of a compiled function: every object its call may read or change.

Before a capture we walk from the function's arguments, its ``self``, closure cells, the globals
its code names (and the closures and globals of the user functions found there) through modules,
optimizers, containers and plain objects down to tensors and Python scalars. Each object reached
becomes a ``WorldNode`` with the path that finds it again (``args[0]``,
``globals['model'].__dict__['_modules']['fc1']`` ...). The nodes serve three purposes:

* **guards**: the program assumes every node still holds what it held (same object, same scalar,
  tensors of the same dtype, shape, device and strides), checked before each replay;
* **sources**: a buffer the program reads from outside is found again through its tensor's node;
* **effects**: a snapshot taken before the capture and compared after it shows what the call did
  to Python-visible state (a new ``.grad``, a reassigned buffer, a bumped version counter) -- the
  replay repeats these -- and what it cannot repeat (a changed Python number, a new dict key),
  which makes the capture unusable.
"""
from __future__ import annotations

import collections
import enum
import sys
import types
import weakref

import numpy as np

from ..api.tensor import Tensor

#: containers larger than this are guarded by identity and length only (their tensors are out of
#: the world: a program that reads one breaks the graph)
MAX_CONTAINER = 256
#: objects walked at most, per capture
MAX_NODES = 20000
#: numpy arrays up to this many elements are guarded by value
MAX_GUARDED_ARRAY = 4096
_SCALARS = (int, float, bool, str, bytes, complex, type(None))
_SKIP_PACKAGES = frozenset({"unigrad", "numpy", "torch", "builtins", "typing", "abc", "functools",
                            "collections", "enum", "math", "itertools", "operator", "copy",
                            "warnings", "contextlib", "types", "weakref", "threading"}) | frozenset(
    getattr(sys, "stdlib_module_names", ()))


def _stateful_library_types() -> tuple:
    """unigrad classes whose instances hold training state and are walked like user objects."""
    from ..amp.grad_scaler import GradScaler
    from ..nn.modules.module import Module
    from ..optim.lr_scheduler import LRScheduler
    from ..optim.optimizer import Optimizer
    return Module, Optimizer, LRScheduler, GradScaler


class WorldNode:
    """An object the compiled function can reach, and how to reach it again."""

    __slots__ = ("obj", "parent", "edge", "kind", "index", "entries", "tensor_state", "written",
                 "reads_buffer", "stable", "alias_of", "ref")

    def __init__(self, obj, parent, edge: tuple, kind: str, index: int) -> None:
        self.obj = obj
        self.parent = parent
        self.edge = edge
        self.kind = kind  # tensor | dict | list | tuple | object | scalar | array | opaque | cell
        self.index = index
        self.entries = None  # dict/list/object: shallow copy of the contents before the call
        self.tensor_state = None  # tensor: (grad ref, buf, requires_grad, grad_fn, dtype, version)
        self.written = False  # the program assigns a new tensor to this node's slot
        self.reads_buffer = False  # the program reads this tensor's buffer
        self.stable = True  # guarded by identity (tensors whose identity changes are guarded by metadata)
        self.alias_of = None  # another path to an object already reached (guarded by identity)
        self.ref = None  # while the call runs, a gradient's node holds it weakly (see World.loosen)

    def describe(self) -> str:
        """The node's path in Python syntax, for messages (``model.fc1.weight.grad``)."""
        parts = []
        node = self
        while node is not None:
            parent = node.parent
            if node.edge[0] == "item" and parent is not None and parent.edge[0] == "attr" and \
                    parent.edge[1] in ("_parameters", "_buffers", "_modules"):
                parts.append(str(node.edge[1]))  # model.fc1.weight, as state_dict names it
            else:
                parts.append(_edge_text(node.edge))
            node = parent
        text = ""
        for part in reversed(parts):
            if part:
                text = part if not text else (text + part if part.startswith("[") else f"{text}.{part}")
        return text


def _edge_text(edge: tuple) -> str:
    kind = edge[0]
    if kind == "arg":
        return f"args[{edge[1]}]"
    if kind == "kwarg":
        return f"kwargs[{edge[1]!r}]"
    if kind == "global":
        return edge[2]
    if kind == "cell":
        return edge[2]
    if kind == "const":
        return edge[2]
    if kind == "attr":
        name = edge[1]
        return {"_parameters": "", "_buffers": "", "_modules": ""}.get(name, name)
    if kind == "item":
        key = edge[1]
        if isinstance(key, str) and key.isidentifier():
            return f"[{key!r}]"
        if isinstance(key, Tensor):
            return "[<tensor>]"
        return f"[{key!r}]"
    if kind == "grad":
        return "grad"
    return ""  # a closure cell's contents


class World:
    """The nodes reachable from one call of a compiled function."""

    def __init__(self, fn, args: tuple, kwargs: dict, extra_roots=()) -> None:
        self.nodes: list[WorldNode] = []
        self.by_id: dict[int, WorldNode] = {}
        self.roots: list[WorldNode] = []
        self.hooks: list[str] = []  # where hooks were found (a graph break)
        self.overflow = False
        self._library = _stateful_library_types()
        self._functions_seen: set = set()
        self._pending: collections.deque = collections.deque()
        for i, arg in enumerate(args):
            self._root(arg, ("arg", i))
        for name, value in kwargs.items():
            self._root(value, ("kwarg", name))
        for obj, label in extra_roots:
            self._root(obj, ("const", obj, label))
        self._function_roots(fn, depth=0)
        self._drain()

    # ----- walking ------------------------------------------------------------------------------
    def _root(self, obj, edge: tuple) -> None:
        node = self._visit(obj, None, edge)
        if node is not None:
            self.roots.append(node)

    def _function_roots(self, fn, depth: int) -> None:
        """Closure cells, defaults and named globals of ``fn`` (and of the user functions and
        methods they name), as roots."""
        if depth > 4:
            return
        if isinstance(fn, types.MethodType):
            self._root(fn.__self__, ("const", fn.__self__, "self"))
            fn = fn.__func__
        if hasattr(fn, "func") and hasattr(fn, "args") and hasattr(fn, "keywords"):  # functools.partial
            for i, arg in enumerate(fn.args):
                self._root(arg, ("const", arg, f"partial.args[{i}]"))
            for key, value in (fn.keywords or {}).items():
                self._root(value, ("const", value, f"partial.{key}"))
            self._function_roots(fn.func, depth + 1)
            return
        code = getattr(fn, "__code__", None)
        if code is None:
            call = getattr(type(fn), "__call__", None)
            if call is not None and _is_user_object(fn):
                self._root(fn, ("const", fn, "callable"))
                self._function_roots(call, depth + 1)
            return
        if id(fn) in self._functions_seen:
            return
        self._functions_seen.add(id(fn))
        wrapped = getattr(fn, "__wrapped__", None)
        if wrapped is not None:  # functools.wraps: the decorated function runs too
            self._function_roots(wrapped, depth + 1)
        for i, value in enumerate(fn.__defaults__ or ()):
            self._root(value, ("const", value, f"{fn.__name__}.__defaults__[{i}]"))
        for key, value in (fn.__kwdefaults__ or {}).items():
            self._root(value, ("const", value, f"{fn.__name__}.__kwdefaults__[{key!r}]"))
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                cell.cell_contents
            except ValueError:  # an empty cell (a name assigned later)
                continue
            self._root_cell(cell, name)
        gdict = getattr(fn, "__globals__", None)
        if gdict is not None:
            for name in _names(code):
                if name in gdict:
                    self._root(gdict[name], ("global", gdict, name))

    def _root_cell(self, cell, name: str) -> None:
        node = WorldNode(cell, None, ("cell", cell, name), "cell", len(self.nodes))
        self.nodes.append(node)
        self.roots.append(node)
        child = self._visit(cell.cell_contents, node, ("contents",))
        node.entries = child

    def _visit(self, obj, parent, edge: tuple):
        known = self.by_id.get(id(obj))
        if known is not None and not isinstance(obj, _SCALARS):
            alias = WorldNode(obj, parent, edge, "alias", len(self.nodes))
            alias.alias_of = known
            self.nodes.append(alias)
            return alias
        if len(self.nodes) >= MAX_NODES:
            self.overflow = True
            return None
        kind = self._kind(obj)
        node = WorldNode(obj, parent, edge, kind, len(self.nodes))
        # arguments are new objects on every call, as is a tensor's .grad under zero_grad(set_to_none):
        # they are guarded by type and metadata, not identity
        node.stable = edge[0] not in ("arg", "kwarg", "grad") and (parent is None or parent.stable)
        self.nodes.append(node)
        if kind not in ("scalar",):
            self.by_id[id(obj)] = node
        self._pending.append(node)
        return node

    def _drain(self) -> None:
        while self._pending:
            node = self._pending.popleft()
            self._expand(node)

    def _kind(self, obj) -> str:
        if isinstance(obj, _SCALARS) or isinstance(obj, enum.Enum):
            return "scalar"
        if obj.__class__ is Tensor:
            return "tensor"
        if isinstance(obj, dict):
            return "dict" if len(obj) <= MAX_CONTAINER else "sized"
        if isinstance(obj, list):
            return "list" if len(obj) <= MAX_CONTAINER else "sized"
        if isinstance(obj, tuple):
            return "tuple" if len(obj) <= MAX_CONTAINER else "sized"
        if isinstance(obj, (set, frozenset)):
            return "scalar" if all(isinstance(v, _SCALARS) for v in obj) and len(obj) <= MAX_CONTAINER \
                else "opaque"
        if isinstance(obj, np.ndarray):
            return "array"
        if isinstance(obj, self._library) or _is_user_object(obj):
            return "object"
        if isinstance(obj, types.FunctionType) and _is_user_function(obj):
            return "function"
        return "opaque"

    def _expand(self, node: WorldNode) -> None:
        obj, kind = node.obj, node.kind
        if kind == "tensor":
            if obj.grad is not None:
                self._visit(obj.grad, node, ("grad",))
            accumulator = obj._grad_accumulator
            if accumulator is not None and (accumulator._pre_hooks or accumulator._post_hooks
                                            or accumulator._node_hooks or accumulator._retained):
                hooks = (accumulator._pre_hooks or []) + (accumulator._post_hooks or [])
                name = getattr(hooks[0], "__qualname__", "") if hooks else ""
                self.hooks.append(f"a gradient hook on {node.describe()}" + (f" ({name})" if name else ""))
        elif kind == "dict":
            for key, value in list(obj.items()):
                self._visit(value, node, ("item", key))
        elif kind in ("list", "tuple"):
            for i, value in enumerate(obj):
                self._visit(value, node, ("item", i))
        elif kind == "function":  # a helper the call may run: its closure and globals count too
            self._function_roots(obj, depth=1)
        elif kind == "object":
            state = getattr(obj, "__dict__", None)
            if state is None:
                node.kind = "opaque"
                return
            from ..nn.modules.module import Module
            if isinstance(obj, Module) and (obj._forward_hooks or obj._forward_pre_hooks):
                self.hooks.append(f"forward hooks on module {node.describe()}")
            for name, value in list(state.items()):
                self._visit(value, node, ("attr", name))
            self._class_functions(type(obj))

    def _class_functions(self, cls) -> None:
        """Globals named by the methods of a user class (``forward`` reading a module constant)."""
        for klass in cls.__mro__:
            if klass.__module__.split(".")[0] in _SKIP_PACKAGES:
                continue
            for value in vars(klass).values():
                function = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
                if isinstance(function, types.FunctionType) and id(function) not in self._functions_seen:
                    self._function_roots(function, depth=1)

    # ----- snapshots and differences ------------------------------------------------------------
    def snapshot(self) -> None:
        """Record the contents of every node (before the call)."""
        for node in self.nodes:
            node.entries = _contents(node) if node.kind != "cell" else node.entries
            if node.kind == "tensor":
                node.tensor_state = _tensor_state(node.obj)
        self._root_values = [(node, _root_value(node)) for node in self.roots]

    def tensor_nodes(self):
        """The tensor nodes whose tensor is alive."""
        return [node for node in self.nodes if node.kind == "tensor" and node.obj is not None]

    def loosen(self) -> None:
        """Hold gradients weakly while the call runs: autograd accumulates into a ``.grad`` in
        place only when nothing else refers to it, and the capture must not change that."""
        for node in self.nodes:
            if node.kind == "tensor" and node.edge[0] == "grad":
                node.ref, node.obj = weakref.ref(node.obj), None

    def tighten(self) -> None:
        """After the call: gradients that died leave their nodes empty (``obj`` None)."""
        for node in self.nodes:
            if node.ref is not None:
                node.obj, node.ref = node.ref(), None


def _names(code) -> list:
    """Global names a code object (and the code objects nested in it) refers to."""
    names, stack = [], [code]
    while stack:
        current = stack.pop()
        names.extend(current.co_names)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return list(dict.fromkeys(names))


def _is_user_function(fn) -> bool:
    return (getattr(fn, "__module__", None) or "").split(".")[0] not in _SKIP_PACKAGES


def _is_user_object(obj) -> bool:
    """An instance of a class defined outside the libraries (so its attributes are walked)."""
    cls = type(obj)
    if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                        types.MethodType, weakref.ref)):
        return False
    module = getattr(cls, "__module__", "") or ""
    return module.split(".")[0] not in _SKIP_PACKAGES and hasattr(obj, "__dict__")


def _contents(node: WorldNode):
    kind, obj = node.kind, node.obj
    if kind == "dict":
        return dict(obj)
    if kind in ("list", "tuple"):
        return list(obj)
    if kind == "object":
        return dict(obj.__dict__)
    if kind == "sized":
        return len(obj)
    if kind == "array":
        return obj.copy() if obj.size <= MAX_GUARDED_ARRAY else (obj.shape, obj.dtype)
    return None


def _tensor_state(t: Tensor) -> tuple:
    grad = t.grad
    return (weakref.ref(grad) if grad is not None else None, t._buf, t._requires_grad, t.grad_fn,
            t._dtype, t._version[0], t._version, t._device, t._backend)


def _root_value(node: WorldNode):
    edge = node.edge
    if edge[0] == "global":
        return edge[1].get(edge[2], _MISSING)
    if edge[0] == "cell":
        try:
            return edge[1].cell_contents
        except ValueError:
            return _MISSING
    return node.obj


_MISSING = object()
MISSING = _MISSING
