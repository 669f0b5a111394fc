"""Views and in-place ops under autograd, against PyTorch: views rebased after an in-place op on
their base or on another view (``AsStridedBackward0``), the base's ``CopySlices`` after an
in-place op on a view, views of views, views made before and after the op, a base made to
require grad through its view, ``.data`` and ``detach()``, the errors PyTorch raises (leaf
views, multi-output views, views made in no_grad mode or by a custom Function) and storage-level
``as_strided`` views."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import unigrad
from unigrad.autograd import gradcheck, gradgradcheck
from parity import assert_close, check

R = np.random.default_rng(7)
A = R.standard_normal((3, 4))
W = R.standard_normal(4)


def version(t) -> int:
    """The version counter's value (unigrad keeps it in a list shared by the views)."""
    return t._version[0] if isinstance(t._version, list) else t._version


def name(t):
    return t.grad_fn.name() if t.grad_fn is not None else None


def structure(node, depth=2):
    """``(name, [children...])`` down ``depth`` levels of ``next_functions``."""
    if node is None:
        return None
    if depth == 0:
        return node.name()
    return (node.name(), [structure(child, depth - 1) for child, _ in node.next_functions])


def same_graph(fn, *arrays, depth=2):
    """``fn(lib, *leaves)`` returns tensors; their grad_fn structures match PyTorch's."""
    ours = fn(unigrad, *[unigrad.tensor(a, requires_grad=True) for a in arrays])
    theirs = fn(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
    for o, t in zip(ours, theirs):
        assert structure(o.grad_fn, depth) == structure(t.grad_fn, depth)


# ----- rebasing views after in-place ops -------------------------------------------------------
def test_brief_reproducer_view_before_inplace_on_base():
    a = unigrad.ones(2, 3, requires_grad=True)
    b = a * 1
    v = b[0]
    b.mul_(2)
    (v * unigrad.arange(3.0)).sum().backward()
    assert a.grad.tolist() == [[0.0, 2.0, 4.0], [0.0, 0.0, 0.0]]


SCENARIOS = {
    # a view made before / after an in-place op on its base
    "view_before_base_op": lambda lib, a, w: (lambda b: (lambda v: (b.mul_(2), v * w)[1])(b[0]))(a * 1),
    "view_after_base_op": lambda lib, a, w: (lambda b: (b.mul_(w), b[1] * w)[1])(a * 1),
    "base_op_with_view_operand": lambda lib, a, w: (lambda b: (b.mul_(b[0].exp()), b)[1])(a * 1),
    # an in-place op on a view: the base, the view and other views see it
    "view_op_then_base": lambda lib, a, w: (lambda b: (b[1].mul_(w), b * 1)[1])(a * 1),
    "view_op_then_view": lambda lib, a, w: (lambda b: (lambda v: (v.mul_(w), v * w)[1])(b[1]))(a * 1),
    "view_op_then_older_view": lambda lib, a, w: (lambda b: (lambda v, u: (v.add_(w[:3]), u * 3)[1])(
        b[:, 1], b[2]))(a * 1),
    "overlapping_views": lambda lib, a, w: (lambda b: (lambda v1, v2: (
        v1.mul_(2), v2.add_(w[1:]), (v1 * 1, v2 * 1, b * 1))[2])(b[:, :3], b[:, 1:]))(a * 1),
    "two_ops_on_one_view": lambda lib, a, w: (lambda b: (b[0].mul_(w).add_(w), b.sin())[1])(a * 1),
    # views of views
    "view_of_view_op": lambda lib, a, w: (lambda b: (b[1][1:].mul_(w[1:]), b * 1)[1])(a * 1),
    "view_of_view_made_before": lambda lib, a, w: (lambda b: (lambda vv: (
        b.mul_(3), vv * w[:2])[1])(b[2][2:]))(a * 1),
    "view_of_view_then_inner_view": lambda lib, a, w: (lambda b: (lambda v: (
        v[1:].exp_(), v * w)[1])(b[0]))(a * 1),
    "transposed_view": lambda lib, a, w: (lambda b: (b.t()[1].mul_(w[:3]), b * 1)[1])(a * 1),
    "diagonal_view": lambda lib, a, w: (lambda b: (b.diagonal().add_(w[:3]), b * 1)[1])(a * 1),
    "reshaped_view": lambda lib, a, w: (lambda b: (b.view(12)[2:6].mul_(w), b * 1)[1])(a * 1),
    "narrow_and_unsqueeze": lambda lib, a, w: (lambda b: (
        b.narrow(1, 1, 2).unsqueeze(0).mul_(2), b * w)[1])(a * 1),
    "permuted_3d": lambda lib, a, w: (lambda b: (b.permute(2, 0, 1)[1].sub_(w[:2, None]), b * 1)[1])(
        (a * 1).reshape(2, 2, 3)),
    # setitem: basic keys copy into a view, advanced keys are index_put
    "setitem_rows": lambda lib, a, w: (lambda b: (b.__setitem__(1, w * 2), b.__setitem__((slice(None), 0), 1.0),
                                                  b * 1)[2])(a * 1),
    "setitem_broadcast": lambda lib, a, w: (lambda b: (b.__setitem__((slice(0, 2), slice(None)), w[None, None]),
                                                       b * 1)[1])(a * 1),
    "setitem_mask_and_list": lambda lib, a, w: (lambda b: (b.__setitem__(b > 0, 0.5), b.__setitem__([0, 2], w),
                                                           b * 1)[2])(a * 1),
    "fill_and_zero": lambda lib, a, w: (lambda b: (b[0].fill_(2.0), b[1].zero_(), b * w)[2])(a * 1),
    "copy_with_broadcast_and_dtype": lambda lib, a, w: (lambda b: (b[1:].copy_(w.float()), b * 1)[1])(a * 1),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_values_and_gradients_match_torch(scenario):
    check(SCENARIOS[scenario], A, W)


@pytest.mark.parametrize("scenario", ["view_before_base_op", "view_op_then_base", "view_op_then_view",
                                      "view_of_view_op", "view_of_view_made_before", "setitem_rows",
                                      "fill_and_zero", "view_op_then_older_view"])
def test_graph_structure_matches_torch(scenario):
    same_graph(lambda lib, a, w: [SCENARIOS[scenario](lib, a, w)], A, W)


def test_view_and_base_nodes_after_inplace_on_view():
    def fn(lib, a, w):
        b = a * 1
        v, u = b[0], b[:, 1]
        v.mul_(w)
        after = b[2]
        return b, v, u, after, v[1:]
    same_graph(fn, A, W, depth=3)
    ours = fn(unigrad, unigrad.tensor(A, requires_grad=True), unigrad.tensor(W, requires_grad=True))
    assert [name(t) for t in ours] == ["torch::autograd::CopySlices", "AsStridedBackward0",
                                       "AsStridedBackward0", "SelectBackward0", "SliceBackward0"]
    assert repr(ours[0].grad_fn).startswith("<CopySlices object at")


# ----- a base made to require grad through its view ---------------------------------------------
def test_inplace_on_view_makes_base_and_older_views_require_grad():
    def fn(lib, w):
        buffer = lib.zeros(3, 4, dtype=w.dtype)
        before, row = buffer[2], buffer[0]
        assert not before.requires_grad
        row.copy_(w)
        buffer[1] = w * 2
        assert buffer.requires_grad and before.requires_grad and row.requires_grad
        return buffer * 1, before * 1, row.exp()
    check(fn, W)
    same_graph(fn, W)


def test_filling_a_buffer_row_by_row():
    def fn(lib, a):
        out = lib.zeros(3, 4, dtype=a.dtype)
        h = a[0]
        for i in range(3):
            h = (h * a[i]).tanh()
            out[i] = h
        return out.sum(0)
    check(fn, A)


# ----- .data and detach() share memory but are not views ---------------------------------------
def test_data_is_untracked_and_detach_shares_the_version():
    for lib in (unigrad, torch):
        a = lib.tensor(A, requires_grad=True)
        b = a * 1
        y = b * b
        b.data.mul_(2)  # not seen by autograd: no version bump, no rebase
        assert version(b) == 0 and name(b) == "MulBackward0"
        y.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), 4 * A)
        d = b.detach()
        d.mul_(2)
        assert version(b) == 1 and name(b) == "MulBackward0" and not d._is_view()
        z = b * b
        d.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_detach_inplace_on_a_view_raises_like_torch():
    for lib in (unigrad, torch):
        with pytest.raises(RuntimeError, match="Can't detach views in-place"):
            (lib.tensor(A, requires_grad=True) * 1)[0].detach_()


# ----- errors ------------------------------------------------------------------------------------
def message(fn, lib):
    with pytest.raises(RuntimeError) as caught:
        fn(lib)
    return str(caught.value)


def leaf(lib):
    return lib.tensor(A, requires_grad=True)


ERRORS = {
    "leaf": lambda lib: leaf(lib).add_(1),
    "leaf_view": lambda lib: leaf(lib)[0].mul_(2),
    "leaf_setitem": lambda lib: leaf(lib).__setitem__(0, 1.0),
    "split": lambda lib: (leaf(lib) * 1).split(2)[1].mul_(2),
    "split_sizes": lambda lib: (leaf(lib) * 1).split([1, 2])[1].add_(1),
    "chunk": lambda lib: (leaf(lib) * 1).chunk(3)[2].zero_(),
    "unbind": lambda lib: (leaf(lib) * 1).unbind(1)[3].mul_(2),
    "iteration": lambda lib: next(iter(leaf(lib) * 1)).mul_(2),
    "view_of_split": lambda lib: (leaf(lib) * 1).split(2)[1][0].mul_(2),
    "split_of_leaf": lambda lib: leaf(lib).split(2)[0].mul_(2),
    "split_then_base_op": lambda lib: (lambda b: (lambda p: (b.mul_(2), p.grad_fn))(b.split(2)[1]))(leaf(lib) * 1),
    "no_grad_view": lambda lib: (lambda b: (lib.set_grad_enabled(False), b[0], lib.set_grad_enabled(True))[1])(
        leaf(lib) * 1).mul_(2),
    "no_grad_view_of_view": lambda lib: (lambda b: (lib.set_grad_enabled(False), b[0], lib.set_grad_enabled(True))[1])(
        leaf(lib) * 1)[1:].mul_(2),
    "no_grad_view_then_base_op": lambda lib: (lambda b: (lambda v: (b.mul_(2), v.grad_fn))(
        (lib.set_grad_enabled(False), b[0], lib.set_grad_enabled(True))[1]))(leaf(lib) * 1),
    "no_grad_split_of_plain_tensor": lambda lib: (lambda p: p.copy_(lib.ones(2, requires_grad=True)))(
        (lib.set_grad_enabled(False), lib.zeros(4).split(2)[0], lib.set_grad_enabled(True))[1]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_error_messages_match_torch(case):
    try:
        expected = message(ERRORS[case], torch)
    finally:
        torch.set_grad_enabled(True)
    try:
        assert message(ERRORS[case], unigrad) == expected
    finally:
        unigrad.set_grad_enabled(True)


def test_failed_inplace_leaves_values_and_version_intact():
    x = unigrad.tensor(A, requires_grad=True)
    v = (x * 1).split(2)[0]
    before = v.tolist()
    with pytest.raises(RuntimeError):
        v.mul_(2)
    assert v.tolist() == before and version(v) == 0


def test_views_made_and_modified_under_no_grad_are_fine():
    for lib in (unigrad, torch):
        w = lib.tensor(A, requires_grad=True)
        with lib.no_grad():
            w[0].mul_(2)
            for row in w:
                row.add_(1)
            w.split(2)[0].zero_()
        assert w.is_leaf and w.requires_grad


def test_custom_function_returning_a_view():
    for lib in (unigrad, torch):
        class First(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x[0]

            @staticmethod
            def backward(ctx, g):
                return lib.stack([g, lib.zeros_like(g), lib.zeros_like(g)])

        out = First.apply(lib.tensor(A, requires_grad=True) * 1)
        with pytest.raises(RuntimeError, match="This view was created inside a custom Function"):
            out.mul_(2)


def test_printing_a_view_whose_grad_fn_is_invalid():
    ours, theirs = [], []
    for lib, into in ((unigrad, ours), (torch, theirs)):
        b = lib.tensor([1.0, 2.0], requires_grad=True) * 1
        with lib.no_grad():
            v = b[0]
        b.mul_(2)
        into.append(repr(v))
    assert theirs == ["tensor(2., grad_fn=<Invalid>)"]
    assert ours[0].startswith("tensor(2.") and ours[0].endswith(", grad_fn=<Invalid>)")  # (and a device)


def test_requires_grad_of_views_follows_the_base_as_in_torch():
    for lib in (unigrad, torch):
        w = lib.tensor(A, requires_grad=True)
        with lib.no_grad():
            v = w[0]
        assert v.requires_grad and v.is_leaf and v.grad_fn is None
        plain = lib.zeros(3)
        assert not plain[0].requires_grad


# ----- double backward through CopySlices and regenerated views ----------------------------------
def test_gradcheck_and_gradgradcheck_through_view_inplace():
    def fn(a, w):
        b = a * 1
        v = b[1]
        b[0].mul_(w)
        b[:, 2].add_(w[:3] ** 2)
        return (b * b).sum(0) + v * 2
    inputs = (unigrad.tensor(A, requires_grad=True), unigrad.tensor(W, requires_grad=True))
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_create_graph_through_copy_slices_matches_torch():
    results = []
    for lib in (unigrad, torch):
        a, w = lib.tensor(A, requires_grad=True), lib.tensor(W, requires_grad=True)
        b = a * a
        b[1:, 1:].mul_(w[1:])
        (ga, gw) = lib.autograd.grad(b.pow(2).sum(), (a, w), create_graph=True)
        results.append(lib.autograd.grad((ga.sin().sum() + gw.sum()), (a, w)))
    assert_close(results[0], results[1])


# ----- storage-level views: as_strided -----------------------------------------------------------
def test_inplace_through_as_strided_view_of_a_non_contiguous_root():
    def fn(lib, a, w):
        root = (a * 1).t_()  # the root itself is laid out column-major
        view = root.as_strided((2, 2), (1, 3), 1)
        view.mul_(w[:2])
        return root * 1, view * 1
    check(fn, A, W)


def test_as_strided_after_as_strided_inplace_on_a_root():
    def fn(lib, a):
        root = a.reshape(-1) * 1
        root.as_strided_((3,), (2,), 3)
        assert root.storage_offset() == 3
        early = root.as_strided((4,), (1,), 0)  # before the root's own first element
        late = root.as_strided((2, 2), (3, 1), 4)
        return root * 1, early * 1, late * 1
    check(fn, A)


def test_retain_grad_follows_the_tensor_through_inplace_ops():
    grads = []
    for lib in (unigrad, torch):
        a = lib.tensor(A, requires_grad=True)
        b = a * 1
        b.retain_grad()
        b.mul_(2)
        b[1].add_(3)  # the base's history becomes CopySlices
        (b * lib.tensor(A)).sum().backward()
        grads.append((b.grad, a.grad))
    assert_close(grads[0], grads[1])
