"""Optimizer state dicts against torch's (same keys, same hyperparameters, 'step' a 0-d float32
tensor), loading torch's dicts, all-or-nothing validation, groups, zero_grad and hooks.

Tolerance: float64 state values to 1e-12 (the same formulas, summation order aside).
"""
import copy

import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, fused=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, foreach=True)),
    ("Adadelta", dict()),
    ("RMSprop", dict(momentum=0.9, centered=True)),
    ("Adagrad", dict(lr_decay=0.1)),
    ("Adamax", dict()),
    ("NAdam", dict(decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict()),
    ("ASGD", dict()),
    ("Rprop", dict()),
]
IDS = [f"{n}-{'-'.join(k)}" for n, k in CONFIGS]


def _model(lib, seed=0, shapes=((3, 4), (4,))):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def _step(lib, params, opt, steps, seed=1):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        opt.zero_grad()
        for p in params:
            p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)))
        opt.step()


def _value(v):
    return v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)


def _assert_state_dicts_equal(ours, theirs):
    assert ours["param_groups"] == theirs["param_groups"]  # every key and value, 'params' indices included
    assert set(ours["state"]) == set(theirs["state"])
    for index, state in theirs["state"].items():
        assert set(ours["state"][index]) == set(state), index
        for key, value in state.items():
            mine = ours["state"][index][key]
            if hasattr(value, "dtype"):
                assert str(mine.dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
                assert tuple(mine.shape) == tuple(value.shape), key
            np.testing.assert_allclose(_value(mine), _value(value), rtol=1e-12, atol=1e-12, err_msg=key)


@requires_torch
@pytest.mark.parametrize("steps", [0, 3])
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_state_dict_equals_torchs_key_for_key(name, kwargs, steps):
    dicts = []
    for lib in (mytorch, torch):
        params = _model(lib)
        opt = getattr(lib.optim, name)(params, **kwargs)
        _step(lib, params, opt, steps)
        dicts.append(opt.state_dict())
    _assert_state_dicts_equal(*dicts)
    if steps and "step" in dicts[1]["state"].get(0, {}):
        step = dicts[0]["state"][0]["step"]
        assert step.dtype == mytorch.float32 and tuple(step.shape) == ()


@requires_torch
def test_state_dict_with_groups_names_and_a_scheduler_equals_torchs():
    dicts = []
    for lib in (mytorch, torch):
        a, b, c = _model(lib, shapes=((2, 3), (3,), (2,)))
        opt = lib.optim.SGD([{"params": [("a", a), ("b", b)]}, {"params": [("c", c)], "lr": 0.5}], lr=0.1,
                            momentum=0.9)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        _step(lib, [a, b, c], opt, 3)
        sched.step()
        dicts.append(opt.state_dict())
    assert "initial_lr" in dicts[0]["param_groups"][1] and dicts[0]["param_groups"][1]["param_names"] == ["c"]
    _assert_state_dicts_equal(*dicts)


@requires_torch
@pytest.mark.parametrize("name, kwargs", CONFIGS + [("Adam", dict(lr=0.01, weight_decay=0.1,
                                                                   decoupled_weight_decay=True))],
                         ids=IDS + ["Adam-decoupled"])
def test_loading_torchs_state_dict_continues_as_torch(name, kwargs):
    """torch runs 4 steps and saves; a fresh torch optimizer and a mytorch one built with other
    hyperparameters load the dict (torch's tensors) and run the same 4 steps: the same parameters."""
    params = _model(torch)
    opt = getattr(torch.optim, name)(params, **kwargs)
    _step(torch, params, opt, 4)
    saved = copy.deepcopy(opt.state_dict())
    ours = [mytorch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    mine = getattr(mytorch.optim, name)(ours, lr=0.5)  # lr and the rest come from the dict
    mine.load_state_dict(saved)
    theirs = getattr(torch.optim, name)(params, lr=0.5)
    theirs.load_state_dict(saved)  # NOTE: torch's optimizer shares the dict's tensors from here on
    _step(torch, params, theirs, 4, seed=2)
    _step(mytorch, ours, mine, 4, seed=2)
    for a, b in zip(ours, params):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
    _assert_state_dicts_equal(mine.state_dict(), theirs.state_dict())


@requires_torch
def test_torch_adam_state_with_decoupled_weight_decay_runs_as_adamw():
    params = _model(torch)
    opt = torch.optim.Adam(params, lr=0.01, weight_decay=0.5, decoupled_weight_decay=True)
    saved = opt.state_dict()
    ours = [mytorch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    mine = mytorch.optim.Adam(ours, lr=0.01, weight_decay=0.5)
    mine.load_state_dict(saved)
    assert mine.param_groups[0]["decoupled_weight_decay"] is True
    _step(torch, params, opt, 5)
    _step(mytorch, ours, mine, 5)
    for a, b in zip(ours, params):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def _trained(name="Adam", shapes=((3, 4), (4,)), **kwargs):
    params = _model(mytorch, shapes=shapes)
    opt = getattr(mytorch.optim, name)(params, lr=0.01, **kwargs)
    _step(mytorch, params, opt, 2)
    return params, opt


def _snapshot(params, opt):
    return copy.deepcopy(opt.param_groups[0]["lr"]), [p.detach().numpy().copy() for p in params], \
        {k: {n: _value(v).copy() for n, v in s.items()} for k, s in opt.state_dict()["state"].items()}


def _assert_unchanged(before, after):
    assert before[0] == after[0]
    for a, b in zip(before[1], after[1]):
        np.testing.assert_array_equal(a, b)
    assert before[2].keys() == after[2].keys()
    for k in before[2]:
        for n in before[2][k]:
            np.testing.assert_array_equal(before[2][k][n], after[2][k][n])


@pytest.mark.parametrize("name", ["Adam", "SGD", "RMSprop", "Adagrad", "Rprop"])
def test_state_from_another_model_is_refused_before_anything_changes(name):
    kwargs = {"momentum": 0.9} if name == "SGD" else {}
    params, opt = _trained(name, **kwargs)
    _, other = _trained(name, shapes=((4, 3), (4,)), **kwargs)  # same count, other shapes
    sd = other.state_dict()
    sd["param_groups"][0]["lr"] = 123.0
    before = _snapshot(params, opt)
    with pytest.raises(ValueError, match=r"of shape \(4, 3\) for parameter 0 of group 0.*whose shape is \(3, 4\)"):
        opt.load_state_dict(sd)
    _assert_unchanged(before, _snapshot(params, opt))
    _step(mytorch, params, opt, 1)  # and it still steps


def test_a_refused_state_names_a_named_parameter():
    a, b = _model(mytorch)
    opt = mytorch.optim.Adam([("layer.weight", a), ("layer.bias", b)])
    other_params = _model(mytorch, shapes=((3, 4), (5,)))
    other = mytorch.optim.Adam(other_params)
    _step(mytorch, other_params, other, 1)
    with pytest.raises(ValueError, match=r"of shape \(5,\) for parameter 'layer.bias' 1 of group 0.*whose shape is \(4,\)"):
        opt.load_state_dict(other.state_dict())
    assert not opt.state


def test_group_count_and_size_mismatches_raise_torchs_errors():
    params, opt = _trained()
    sd = opt.state_dict()
    two = copy.deepcopy(sd)
    two["param_groups"].append(dict(two["param_groups"][0], params=[]))
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        opt.load_state_dict(two)
    short = copy.deepcopy(sd)
    short["param_groups"][0]["params"] = [0]
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(short)


def test_state_dict_round_trip_continues_bit_for_bit_and_is_a_copy():
    params, opt = _trained("RMSprop", momentum=0.9)
    sd = opt.state_dict()
    sd["state"][0]["square_avg"].numpy()[...] = 7  # editing the dict does not reach the optimizer
    assert not np.any(opt.state[params[0]]["square_avg"].numpy() == 7)
    sd = opt.state_dict()
    twins = [mytorch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    twin = mytorch.optim.RMSprop(twins)
    twin.load_state_dict(sd)
    _step(mytorch, params, opt, 3, seed=5)
    _step(mytorch, twins, twin, 3, seed=5)
    for a, b in zip(params, twins):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_replaced_integer_data_fails_at_step_with_a_clear_error_and_changes_nothing():
    a, b = _model(mytorch)
    opt = mytorch.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    a.grad, b.grad = mytorch.ones(3, 4, dtype=mytorch.float64), mytorch.ones(4, dtype=mytorch.float64)
    try:
        b.data = np.arange(4, dtype=np.int64)  # torch refuses this assignment already; so may mytorch's Tensor
    except RuntimeError:
        b._data = np.arange(4, dtype=np.int64)  # then the optimizer must still refuse it, before any update
    before = a.detach().numpy().copy()
    with pytest.raises(RuntimeError, match=r"parameter 0 of its group 1.*int64"):
        opt.step()
    np.testing.assert_array_equal(a.detach().numpy(), before)  # the first group was not updated either


def test_a_gradient_of_the_wrong_shape_is_named():
    (a,) = _model(mytorch, shapes=((3,),))
    a.grad = mytorch.ones(4, dtype=mytorch.float64)
    with pytest.raises(RuntimeError, match=r"shape \(3,\) but its gradient has shape \(4,\)"):
        mytorch.optim.Adam([a]).step()


def test_parameter_data_replaced_by_another_float_dtype_keeps_stepping():
    (a,) = _model(mytorch, shapes=((5,),))
    opt = mytorch.optim.Adam([a], lr=0.1)
    a.grad = mytorch.ones(5, dtype=mytorch.float64)
    opt.step()
    a.data = a.detach().numpy().astype(np.float32)
    a.grad = mytorch.ones(5, dtype=mytorch.float32)
    opt.step()
    assert opt.state[a]["exp_avg"].dtype == mytorch.float32 and a.dtype == mytorch.float32


def test_zero_grad_add_param_group_and_lr_edits():
    a, b = _model(mytorch)
    opt = mytorch.optim.SGD([a], lr=0.1)
    a.grad = mytorch.ones(3, 4, dtype=mytorch.float64)
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and not np.any(a.grad.numpy())
    opt.zero_grad()
    assert a.grad is None
    opt.add_param_group({"params": b, "lr": 1.0})
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})
    assert opt.param_groups[1]["momentum"] == 0 and opt.param_groups[1]["fused"] is None
    start = [a.detach().numpy().copy(), b.detach().numpy().copy()]
    opt.param_groups[0]["lr"] = 0.5  # an edit takes effect at the next step
    a.grad, b.grad = mytorch.ones(3, 4, dtype=mytorch.float64), mytorch.ones(4, dtype=mytorch.float64)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), start[0] - 0.5)
    np.testing.assert_allclose(b.detach().numpy(), start[1] - 1.0)
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {mytorch.ones(2, requires_grad=True)}})


def test_step_hooks_run_around_every_optimizer_and_can_be_removed():
    calls = []
    for name in ["SGD", "Adam", "LBFGS"]:
        (a,) = _model(mytorch, shapes=((2,),))
        opt = getattr(mytorch.optim, name)([a], lr=0.1)
        pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", type(o).__name__)))
        opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", type(o).__name__)))

        def closure():
            opt.zero_grad()
            loss = (a * a).sum()
            loss.backward()
            return loss
        opt.step(closure)
        pre.remove()
        opt.step(closure)
        assert calls[-3:] == [("pre", name), ("post", name), ("post", name)]
    # torch's convention: args holds the optimizer first; a pre-hook may replace args and kwargs
    (a,) = _model(mytorch, shapes=((2,),))
    opt = mytorch.optim.SGD([a], lr=0.1)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": lambda: seen.append(args[0]) or 7.0}))
    assert opt.step() == 7.0 and seen == [opt]


def test_a_subclass_written_torchs_way_gets_hooks_and_state():
    class PlainSGD(mytorch.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state[p]
                    state["n"] = state.get("n", 0) + 1
                    p._data -= group["lr"] * p.grad._data
    (a,) = _model(mytorch, shapes=((2,),))
    opt = PlainSGD([a])
    seen = []
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(1))
    a.grad = mytorch.ones(2, dtype=mytorch.float64)
    opt.step()
    assert seen == [1] and opt.state_dict()["state"][0]["n"] == 1


def test_a_subclass_calling_the_base_step_runs_the_hooks_once():
    class Counting(mytorch.optim.SGD):
        def step(self, closure=None):
            self.count = getattr(self, "count", 0) + 1
            return super().step(closure)
    (a,) = _model(mytorch, shapes=((2,),))
    opt = Counting([a], lr=0.1)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append("pre"))
    a.grad = mytorch.ones(2, dtype=mytorch.float64)
    opt.step()
    assert seen == ["pre"] and opt.count == 1


@pytest.mark.parametrize("name", ["Adam", "LBFGS"])
def test_optimizers_pickle_and_keep_stepping(name):
    import pickle
    params = _model(mytorch)
    opt = getattr(mytorch.optim, name)(params, lr=0.01)
    opt.register_step_post_hook(lambda o, args, kwargs: None)  # a lambda: hooks are not pickled

    def closure():
        opt.zero_grad()
        loss = (params[0] * params[0]).sum() + (params[1] * params[1]).sum()
        loss.backward()
        return loss
    opt.step(closure)
    params2, opt2 = pickle.loads(pickle.dumps((params, opt)))

    def closure2():
        opt2.zero_grad()
        loss = (params2[0] * params2[0]).sum() + (params2[1] * params2[1]).sum()
        loss.backward()
        return loss
    opt.step(closure)
    opt2.step(closure2)
    for a, b in zip(params, params2):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_state_dict_and_load_hooks_run():
    params, opt = _trained()
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("sd-pre"))
    opt.register_state_dict_post_hook(lambda o, sd: calls.append("sd-post"))
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load-pre"))
    handle = opt.register_load_state_dict_post_hook(lambda o: calls.append("load-post"))
    opt.load_state_dict(opt.state_dict())
    handle.remove()
    opt.load_state_dict(opt.state_dict())
    assert calls == ["sd-pre", "sd-post", "load-pre", "load-post", "sd-pre", "sd-post", "load-pre"]
