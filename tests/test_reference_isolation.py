"""The reference never changes a test's inputs, and never sees inputs another call changed.

Ordinary calls through the ``ref`` fixture get deep copies of their arguments. A gradient check
(:func:`grader.testing.central_differences`, and :func:`grader.testing.check_backward` through it)
calls the reference without a copy per call: on one copy of the inputs of its own, kept only if
the reference left it exactly as it was. Whatever the reference does to its arguments, the test's
arrays stay as they were, and the gradient is the one that deep copies at every call give.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

from grader.plugin import Reference
from grader.testing import central_differences, check_backward


def module(**functions) -> types.ModuleType:
    made = types.ModuleType("a_reference")
    made.__dict__.update(functions)
    return made


def copied_at_every_call(function):
    """The same reference function behind a plain callable: central differences then call it
    as ordinary calls do, with deep copies of every argument at every call."""
    return lambda *args, **kwargs: function(*args, **kwargs)


def affine(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def scaling_affine(x, w, b):
    """Correct output, but it doubles w and zeroes b in place afterwards (a careless reference)."""
    out = x.reshape(x.shape[0], -1) @ w + b
    w *= 2
    b[...] = 0
    x += 1
    return out, (x, w, b)


def params_loss(params, X, *, scale):
    loss = float(np.sum((X @ params["W"] + params["b"]) ** 2)) * scale
    params["W"] -= 0.5  # a reference that "trains" on its input
    params["b"] = params["b"] * 3
    return loss, {}


def popping_loss(x, options):
    """Takes its option out of the dict it was given: the second call on the same dict fails."""
    return float(np.sum(x ** 2)) * options.pop("scale")


@pytest.fixture
def inputs():
    rng = np.random.default_rng(5)
    return {"x": rng.standard_normal((3, 2, 2)), "w": rng.standard_normal((4, 5)), "b": rng.standard_normal(5)}


@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_a_reference_that_changes_its_inputs_leaves_the_tests_arrays_as_they_were(inputs, wrt):
    before = {name: value.copy() for name, value in inputs.items()}
    dout = np.random.default_rng(6).standard_normal((3, 5))
    ref = Reference(module(affine_forward=scaling_affine))
    got = central_differences(ref.affine_forward, args=tuple(inputs.values()), wrt=wrt, dout=dout)
    for name, value in inputs.items():
        assert value.tobytes() == before[name].tobytes(), f"{name} was changed"
    expected = central_differences(copied_at_every_call(ref.affine_forward), args=tuple(before.values()), wrt=wrt,
                                   dout=dout)
    assert got.tobytes() == expected.tobytes()


def test_a_reference_that_changes_a_dict_of_params_gives_the_gradient_of_pristine_params():
    rng = np.random.default_rng(7)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    X = rng.standard_normal((4, 3))
    kept = {key: value for key, value in params.items()}
    before = {key: value.copy() for key, value in params.items()}
    ref = Reference(module(loss=params_loss))
    got = central_differences(ref.loss, args=(params, X), kwargs={"scale": 0.5})
    assert list(params) == ["W", "b"] and all(params[key] is kept[key] for key in params)
    assert all(params[key].tobytes() == before[key].tobytes() for key in params)
    expected = central_differences(copied_at_every_call(ref.loss), args=(before, X), kwargs={"scale": 0.5})
    assert {key: value.tobytes() for key, value in got.items()} == {key: value.tobytes()
                                                                     for key, value in expected.items()}


def test_a_reference_that_fails_only_on_inputs_an_earlier_call_changed_still_gives_the_gradient():
    x = np.array([1.0, -2.0, 3.0])
    options = {"scale": 2.0}
    ref = Reference(module(loss=popping_loss))
    got = central_differences(ref.loss, args=(x, options), output=None)
    assert options == {"scale": 2.0}
    np.testing.assert_allclose(got, 4 * x, rtol=1e-7)


def test_a_pure_reference_gets_one_private_copy_of_the_fixed_inputs_for_the_whole_gradient(inputs):
    seen = []

    def recording_affine(x, w, b):
        seen.append((id(w), id(b)))
        return affine(x, w, b)

    dout = np.ones((3, 5))
    ref = Reference(module(affine_forward=recording_affine))
    got = central_differences(ref.affine_forward, args=tuple(inputs.values()), wrt=0, dout=dout)
    assert len(seen) == 2 * inputs["x"].size
    assert len(set(seen)) == 1, "the fixed inputs were copied again at some call"
    assert seen[0] != (id(inputs["w"]), id(inputs["b"])), "the reference was handed the test's own arrays"
    np.testing.assert_allclose(got, (dout @ inputs["w"].T).reshape(inputs["x"].shape), rtol=1e-7)


def test_an_ordinary_call_of_the_reference_still_gets_deep_copies(inputs):
    before = {name: value.copy() for name, value in inputs.items()}
    ref = Reference(module(affine_forward=scaling_affine))
    out, (x, w, b) = ref.affine_forward(*inputs.values())
    assert x is not inputs["x"] and w is not inputs["w"] and b is not inputs["b"]
    assert all(inputs[name].tobytes() == before[name].tobytes() for name in inputs)
    assert ref.affine_forward.__name__ == "affine_forward"


def test_a_backward_check_against_a_careless_reference_leaves_the_tests_arrays_as_they_were(inputs):
    before = {name: value.copy() for name, value in inputs.items()}
    dout = np.random.default_rng(8).standard_normal((3, 5))

    def backward(dout, cache):
        x, w, b = cache
        return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)

    student = module(affine_forward=affine, affine_backward=backward)
    ref = Reference(module(affine_forward=scaling_affine))
    for wrt in ("x", "w", "b"):
        check_backward(student, ref, "affine", inputs=inputs, dout=dout, wrt=wrt)
    assert all(inputs[name].tobytes() == before[name].tobytes() for name in inputs)
