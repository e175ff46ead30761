"""Helpers for test authors: the calls and checks that hidden and public tests repeat.

``from grader.testing import forward_backward, check_backward, value_and_grad, trajectory``

Every helper calls functions of a *module* given as its first argument: the ``student``
fixture (:class:`grader.proxy.StudentProxy`: each call runs in the sandboxed worker and
returns plain data), the ``ref`` fixture (the reference, called on deep copies of its
arguments) or any object that has the functions as attributes. A check that fails raises
:class:`grader.failure.MismatchError` (an ``AssertionError``: the student's fault), worded
as the bundled course's tests word it: what is wrong, where (which call, which output,
which step), and a likely cause when one is known. A crash or a timeout of the student's
code is a :class:`grader.failure.StudentCodeError`, left to propagate unless said otherwise.

Shapes are named as in CS231n: N examples; an input x of shape (N, d_1, ..., d_k) is
flattened to (N, D), D = d_1 * ... * d_k; M outputs of a layer; C classes.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pytest

from grader.comparison import RTOL_NUMERIC, check_array, check_tuple, check_unchanged
from grader.failure import MismatchError, StudentCodeError, StudentFailure
from grader.gradcheck import numerical_gradient, numerical_gradient_array
from grader.plugin import ReferenceFunction
from grader.protocol import Handle

__all__ = ["MutationLog", "call_text", "central_differences", "check_backward", "check_inputs_unchanged",
           "during", "forward", "backward", "forward_backward", "hinted", "per_item", "step", "trajectory",
           "value_and_grad"]


# -- naming -------------------------------------------------------------------------------
def call_text(function: str, *, names: Sequence[str] = (), kwargs: Mapping[str, Any] | None = None) -> str:
    """How a call is named in feedback: ``call_text("elu_forward", names=("x",), kwargs={"alpha": 1.7})``
    is ``"elu_forward(x, alpha=1.7)"`` (numbers written with ``:g``, anything else with ``repr``)."""
    shown = [*names] + [f"{key}={value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool)
                        else f"{key}={value!r}" for key, value in (kwargs or {}).items()]
    return f"{function}({', '.join(shown)})"


def per_item(values: Sequence, *, item: Callable[[Any], str], id: Callable[[Any], str] = str) -> list:
    """Parameters for ``pytest.mark.parametrize``, each marked with the rubric item it serves:
    ``per_item(RULES, item=lambda rule: rule + "_config")``. A value that is a tuple is
    unpacked into the parametrize argument names (``"rule,ndim"``)."""
    return [pytest.param(*(value if isinstance(value, tuple) else (value,)), marks=pytest.mark.item(item(value)),
                         id=id(value)) for value in values]


@contextlib.contextmanager
def during(label: str) -> Iterator[None]:
    """Say where a crash or an unusable return value of the student's code happened: a
    :class:`StudentCodeError` raised in the block gets ``label`` (``"after step 3"``) in front."""
    try:
        yield
    except StudentCodeError as exc:
        raise StudentCodeError(f"{label}: {exc}") from None


@contextlib.contextmanager
def hinted(hint: str) -> Iterator[None]:
    """A student's failure in the block gets ``"\\n    hint: <hint>"`` appended (the robust form
    of a formula, said only when an edge case fails); anything else passes through unchanged."""
    try:
        yield
    except StudentFailure as exc:
        raise type(exc)(f"{exc}\n    hint: {hint}") from None


# -- layers: forward and backward passes ------------------------------------------------------
def forward(module, layer: str, *, inputs: Mapping[str, Any], kwargs: Mapping[str, Any] | None = None,
            call: str | None = None) -> tuple[Any, Any]:
    """``<layer>_forward(*inputs.values(), **kwargs)``, checked to be a pair ``(out, cache)``.

    inputs : {argument name: value}, in the order of the signature, e.g.
        ``{"x": x, "w": w, "b": b}`` with x (N, d_1, ..., d_k), w (D, M), b (M,)
    call : the call as the feedback names it; default ``call_text`` of the layer's forward with the
        input names and ``kwargs``: ``"affine_forward(x, w, b)"``, ``"elu_forward(x, alpha=1.7)"``

    Returns ``(out, cache)``: out as returned (for affine (N, M); for an activation shaped like x),
    cache opaque (a :class:`grader.protocol.Handle` when it stays in the worker). Raises
    ``MismatchError("affine_forward(x, w, b): expected a tuple of 2 values, got ...")`` otherwise.
    """
    function = f"{layer}_forward"
    result = getattr(module, function)(*inputs.values(), **(kwargs or {}))
    return check_tuple(result, length=2, name=call or call_text(function, names=tuple(inputs), kwargs=kwargs))


def backward(module, layer: str, *, dout, cache, grads: int = 1):
    """``<layer>_backward(dout, cache)``: with ``grads == 1`` its return value as is (dx, shaped like
    x); with more, checked to be a tuple of that many gradients, e.g. ``(dx, dw, db)`` of shapes
    x's, (D, M), (M,) (``"affine_backward(dout, cache): expected a tuple of 3 values, got ..."``).

    dout : the upstream gradient, shaped like the forward's out ((N, M) for affine)
    cache : the cache the forward returned (the student's own, for the student)
    """
    function = f"{layer}_backward"
    result = getattr(module, function)(dout, cache)
    return result if grads == 1 else check_tuple(result, length=grads, name=f"{function}(dout, cache)")


def forward_backward(module, layer: str, *, inputs: Mapping[str, Any], dout, kwargs: Mapping[str, Any] | None = None,
                     call: str | None = None) -> tuple[Any, Any]:
    """:func:`forward`, then :func:`backward` with the forward's own cache: ``(out, grads)``, where
    grads is dx alone for one input and the tuple ``(dx, dw, db)`` (one gradient per input, each
    shaped like its input) for several. dout is shaped like out."""
    out, cache = forward(module, layer, inputs=inputs, kwargs=kwargs, call=call)
    return out, backward(module, layer, dout=dout, cache=cache, grads=len(inputs))


# -- gradients by central differences (trusted functions only) -----------------------------
def central_differences(function: Callable, *, args: Sequence, wrt: int = 0, kwargs: Mapping[str, Any] | None = None,
                        output: int | None = 0, dout=None):
    """Central differences (:mod:`grader.gradcheck`) of a *trusted* function, with respect to ``args[wrt]``.

    function : e.g. ``ref.affine_forward`` or ``ref.softmax_loss``; called as
        ``function(*args, **kwargs)``, of which ``[output]`` is differentiated (``output=None``:
        the return value itself)
    dout : None for a scalar (a loss): the gradient of that number. An array shaped like the
        output (N, M) for a layer: the gradient of ``sum(output * dout)``, i.e. the backward
        pass of ``dout`` (what ``<layer>_backward(dout, cache)`` returns for that input)

    Returns an array shaped like ``args[wrt]``, float64; if ``args[wrt]`` is a dict of arrays
    (an MLP's params), ``{key: gradient with respect to that entry}``.

    A function of the ``ref`` fixture on plain data (arrays, numbers, strings, and tuples, lists
    and dicts of them) is not given deep copies at each of its calls: it runs on one copy of
    ``args`` and ``kwargs`` made here (the entry varied is gradcheck's fresh copy at every call).
    The gradient is kept only if the reference raised nothing and left that copy exactly as it
    was; otherwise it is computed again with deep copies at every call. The numbers are the same
    either way, and the caller's arrays are never handed to the reference.
    """
    kwargs = dict(kwargs or {})
    if isinstance(function, ReferenceFunction) and _plain((tuple(args), kwargs)):
        own_args, own_kwargs = copy.deepcopy(tuple(args)), copy.deepcopy(kwargs)
        try:
            gradient = _differences(function.uncopied, own_args, own_kwargs, args[wrt], wrt=wrt, output=output,
                                    dout=dout)
        except Exception:  # it may have raised only because an earlier call changed the copy
            gradient = None
        if gradient is not None and _identical(own_args, tuple(args)) and _identical(own_kwargs, kwargs):
            return gradient
    return _differences(function, tuple(args), kwargs, args[wrt], wrt=wrt, output=output, dout=dout)


def _differences(function: Callable, args: tuple, kwargs: dict, point, *, wrt: int, output: int | None, dout):
    """Central differences of ``function(*args, **kwargs)[output]`` with ``args[wrt]`` varied around
    ``point`` (the caller's ``args[wrt]``: gradcheck perturbs its own float64 copy of it)."""

    def at(value, key=None):
        varied = list(args)
        varied[wrt] = value if key is None else {**args[wrt], key: value}
        result = function(*varied, **kwargs)
        return result if output is None else result[output]

    def gradient(f, x):
        return numerical_gradient(f, x) if dout is None else numerical_gradient_array(f, x, dout)

    if isinstance(point, Mapping):
        return {key: gradient(lambda value, key=key: at(value, key), point[key]) for key in point}
    return gradient(at, point)


# Why 32: deeper nesting than any course's arguments; past it the per-call copies are kept.
_PLAIN_DEPTH = 32
_ATOMS = frozenset({type(None), bool, int, float, complex, str, bytes})


def _plain(value, depth: int = 0) -> bool:
    """Whether ``value`` is plain data that :func:`_identical` can compare exactly: numpy arrays
    (not of objects), numbers, strings, None, and tuples, lists and dicts of them."""
    kind = type(value)
    if kind is np.ndarray:
        return not value.dtype.hasobject
    if kind in _ATOMS or isinstance(value, (np.number, np.bool_)):
        return True
    if depth >= _PLAIN_DEPTH:
        return False
    if kind is tuple or kind is list:
        return all(_plain(item, depth + 1) for item in value)
    if kind is dict:
        return all(type(key) in _ATOMS and _plain(item, depth + 1) for key, item in value.items())
    return False


def _identical(own, original) -> bool:
    """Whether ``own`` (a copy of the plain ``original``, handed to the reference) is still exactly
    like it: the same types, dict keys in the same order, arrays of the same dtype, shape and bytes."""
    if type(own) is not type(original):
        return False
    if type(own) is np.ndarray:
        return own.dtype == original.dtype and own.shape == original.shape and own.tobytes() == original.tobytes()
    if type(own) is tuple or type(own) is list:
        return len(own) == len(original) and all(map(_identical, own, original))
    if type(own) is dict:
        return list(own) == list(original) and all(_identical(own[key], original[key]) for key in own)
    if isinstance(own, np.generic):
        return own.dtype == original.dtype and own.tobytes() == original.tobytes()
    # Immutable: unless a list or dict slot was given another one, it is the very same object.
    return own is original or (own == original and repr(own) == repr(original))


def check_backward(module, ref, layer: str, *, inputs: Mapping[str, Any], dout, wrt: str = "x",
                   kwargs: Mapping[str, Any] | None = None, call: str | None = None, rtol: float = RTOL_NUMERIC,
                   batch_size: int | None = None,
                   likely: Mapping | Callable[[np.ndarray], Mapping] | None = None) -> None:
    """Gradient check of the student's backward pass: ``d<wrt>`` from ``<layer>_backward(dout, cache)``,
    with the cache of the student's own forward, against central differences of the *reference*
    forward with respect to ``inputs[wrt]`` (so a backward consistent with a wrong forward fails).

    inputs : {argument name: value} as for :func:`forward`, e.g. x (N, d_1, ..., d_k), w (D, M), b (M,)
    dout : the upstream gradient, shaped like out ((N, M) for affine, x's shape for an activation)
    wrt : the input whose gradient is checked; it is named ``"d" + wrt`` in the feedback (``"dw"``)
    likely : {cause: the wrong gradient a known mistake gives}, or a function of the target
        gradient returning it (an N-fold error is ``N * target``)
    """
    _, grads = forward_backward(module, layer, inputs=inputs, dout=dout, kwargs=kwargs, call=call)
    got = grads if len(inputs) == 1 else grads[list(inputs).index(wrt)]
    target = central_differences(getattr(ref, f"{layer}_forward"), args=tuple(inputs.values()),
                                 wrt=list(inputs).index(wrt), kwargs=kwargs, dout=dout)
    check_array(got, target, name=f"d{wrt}", rtol=rtol, batch_size=batch_size,
                likely=likely(target) if callable(likely) else likely)


# -- losses -----------------------------------------------------------------------------------
def value_and_grad(module, function: str, *, args: Sequence = (), kwargs: Mapping[str, Any] | None = None,
                   call: str | None = None) -> tuple[Any, Any]:
    """``<function>(*args, **kwargs)`` (a loss or a penalty), checked to be a pair ``(value, grad)``:
    value a number, grad shaped like ``args[0]`` (scores x (N, C), predictions (N, ...), weights w).
    ``call`` names it in the feedback; default ``"<function>(...)"``."""
    result = getattr(module, function)(*args, **(kwargs or {}))
    return check_tuple(result, length=2, name=call or f"{function}(...)")


# -- optimizers ---------------------------------------------------------------------------------
def step(update: Callable, *, rule: str, w, dw, config, label: str) -> tuple[Any, dict]:
    """One call ``update(w, dw, config)`` of update rule ``rule`` (``student.adam``, ``ref.adam`` or a
    trusted function): ``(next_w, config)``, checked to be a pair whose config is a dict.

    w, dw : arrays of one shape (any), the weights and their gradient
    config : None (the rule fills in its defaults) or the dict the previous step returned
    label : where this step is, for the feedback: ``"after step 3"``; a crash reads
        ``"after step 3: ..."``, a wrong return value ``"adam(w, dw, config) (after step 3): ..."``
    """
    with during(label):
        result = update(w, dw, config)
    next_w, config = check_tuple(result, length=2, name=f"{rule}(w, dw, config) ({label})")
    if not isinstance(config, dict):
        raise MismatchError(f"config {label}: {rule} returned {type(config).__name__} as its second value; "
                            "return the config dict (hyperparameters and state) for the next call")
    return next_w, config


def trajectory(update: Callable, *, rule: str, steps: int, w0=None, config=None, grad: Callable | None = None,
               ws: Sequence | None = None, dws: Sequence | None = None,
               label: str = "after step {k}") -> Iterator[tuple[int, Any, dict]]:
    """Steps 1..``steps`` of an update rule, lazily: yields ``(k, w, config)`` after step k, the
    config of each step passed to the next (as a training loop does), each step a :func:`step`.

    Closed loop (``grad`` given): from ``w0``, with ``dw = grad(w)`` at the current weights.
    On fixed inputs (``ws`` and ``dws``, one per step): step k updates ``ws[k-1]`` with
    ``dws[k-1]``, so a wrong step cannot spoil the next ones. Else ``dws`` from ``w0``.
    label : for :func:`step`'s feedback, ``{k}`` in it replaced by the step number.

    Being lazy, a test can compare each step as it comes and stop at the first wrong one;
    ``list(trajectory(...))`` runs them all (for the reference and trusted variants).
    """
    w = w0
    for k in range(1, steps + 1):
        if ws is not None:
            w = ws[k - 1]
        dw = grad(w) if grad is not None else dws[k - 1]
        w, config = step(update, rule=rule, w=w, dw=dw, config=config, label=label.replace("{k}", str(k)))
        yield k, w, config


# -- inputs unchanged ---------------------------------------------------------------------------
def check_inputs_unchanged(before, after, *, name: str) -> None:
    """Every array in ``before`` (an array, a cache kept in the worker, or a tuple/list/dict holding
    them, nested) is as it was in ``after``, the same argument after the call. Numbers are not
    compared. For a :class:`grader.protocol.Handle` (a namedtuple or class cache), the worker's
    account of what the call changed is used. ``name`` says whose argument: ``"relu_backward: dout"``."""
    if isinstance(before, (np.ndarray, Handle)):
        check_unchanged(before, after, name=name)
    elif isinstance(before, (tuple, list, dict)):
        if type(after) is not type(before) or len(after) != len(before):
            raise MismatchError(f"{name} was modified in place by the function (its length changed); "
                                "inputs must not be mutated")
        keys = before.keys() if isinstance(before, dict) else range(len(before))
        for key in keys:
            if isinstance(before, dict) and key not in after:
                raise MismatchError(f"{name}[{key!r}] was removed by the function; inputs must not be mutated")
            check_inputs_unchanged(before[key], after[key], name=f"{name}[{key!r}]")


class MutationLog:
    """Whether functions modify their arguments in place, judged over several calls; only the calls
    that return are judged (a crash or a timeout is that function's own item's loss, and a function
    that never ran shows nothing).

    ``log.call(student, "relu_backward", args=(dout, cache), labels=("dout", "the cache"))`` calls with
    ``with_args`` and records, in ``mutations``, every argument that changed (see
    :func:`check_inputs_unchanged`; the cache passed to a backward included), named
    ``"<function>: <label>"``. ``judged`` lists the calls that returned, ``skipped`` the
    ``(function, message)`` of those that did not; ``returned`` and ``found`` tell about the last
    call. The test then says what it concludes.

    unreadable_fails : a function that ran but whose account of its arguments is unreadable
        fails the check at once (True), or counts as not returned (False).
    """

    def __init__(self, *, unreadable_fails: bool = True):
        self.unreadable_fails = unreadable_fails
        self.mutations: list[str] = []
        self.judged: list[str] = []
        self.skipped: list[tuple[str, str]] = []
        self.returned = False  # whether the last call returned
        self.found: list[str] = []  # what the last call changed

    def call(self, module, function: str, *, args: Sequence, labels: Sequence[str], kwargs: Mapping | None = None,
             name: str | None = None):
        """The call's result, None if it did not return. ``labels`` name the positional arguments
        compared (arguments past the last label are not); ``name`` replaces the function's name
        in front of each (``"sgd (step 2)"``)."""
        self.found, self.returned = [], False
        try:
            result, after = getattr(module, function).with_args(*args, **(kwargs or {}))
        except StudentCodeError as exc:
            if self.unreadable_fails and "arguments after the call" in str(exc):
                raise  # it ran, but its account of its arguments is unreadable: this check's own failure
            self.skipped.append((function, str(exc)))
            return None
        self.returned = True
        self.judged.append(function)
        for label, before, now in zip(labels, args, after):
            try:
                check_inputs_unchanged(before, now, name=f"{name or function}: {label}")
            except MismatchError as exc:
                self.found.append(str(exc))
        self.mutations += self.found
        return result
