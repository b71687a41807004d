"""The optimizers' two forms (``_single_tensor_*`` NumPy and ``_fused_*`` one-pass loops) against
each other, the choice between them, and the fused forms under threads and without numba's JIT.

Tolerance: none. The fused loops perform the NumPy form's float operations in the same order and
dtype, so the results are compared bit for bit (float32 and float64).
"""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import mytorch
from mytorch.optim import _fused
from mytorch.optim.optimizer import _resolve_fused

# every flag of every optimizer that has a fused form
FUSED_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01)),
    ("Adadelta", dict(maximize=True)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, maximize=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
]
IDS = [f"{n}-{'-'.join(k)}" for n, k in FUSED_CASES]


def _params(dtype, seed=0):
    rng = np.random.default_rng(seed)
    weight = mytorch.tensor(rng.standard_normal((7, 5)).astype(dtype), requires_grad=True)
    bias = mytorch.tensor(rng.standard_normal(5).astype(dtype), requires_grad=True)
    # a parameter whose array is not C-ordered (its .data replaced by a transposed view)
    strided = mytorch.tensor(np.zeros(1, dtype), requires_grad=True)
    strided.data = np.asfortranarray(rng.standard_normal((4, 3)).astype(dtype))
    return [weight, bias, strided]


def _steps(name, kwargs, fused, dtype, steps=4, seed=0):
    params = _params(dtype, seed)
    opt = getattr(mytorch.optim, name)(params, **kwargs, fused=fused)
    rng = np.random.default_rng(seed + 1)
    for _ in range(steps):
        for p in params:
            g = rng.standard_normal(tuple(p.shape)[::-1]).astype(dtype).T  # transposed, as a Linear weight's
            p.grad = mytorch.tensor(np.zeros(1, dtype))
            p.grad.data = g
        opt.step()
    return params, opt


def _arrays(params, opt):
    out = [p.detach().numpy().copy() for p in params]
    for p in params:
        for key, value in sorted(opt.state[p].items()):
            out.append(np.asarray(value.numpy() if hasattr(value, "numpy") else value))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", FUSED_CASES, ids=IDS)
def test_fused_form_equals_numpy_form_bit_for_bit(name, kwargs, dtype):
    """fused=True runs the loops compiled where numba's JIT is on and as Python otherwise: both
    must give the NumPy form's bits, parameters and state."""
    reference = _arrays(*_steps(name, kwargs, False, dtype))
    fused = _arrays(*_steps(name, kwargs, True, dtype))
    assert len(reference) == len(fused)
    for want, got in zip(reference, fused):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["Adam", "Adagrad", "RMSprop", "SGD"])
def test_zero_denominators_give_the_numpy_forms_nan_and_inf(name):
    """eps=0 and exact zeros in the gradient: 0/0 and x/0 as NumPy computes them, in both forms."""
    kwargs = {"SGD": dict(lr=np.inf)}.get(name, dict(eps=0.0))
    results = []
    for fused in (False, True):
        p = mytorch.tensor(np.array([1.0, 2.0, 3.0, 4.0], np.float32), requires_grad=True)
        opt = getattr(mytorch.optim, name)([p], **kwargs, fused=fused)
        p.grad = mytorch.tensor(np.array([0.0, 1.0, -1.0, 0.0], np.float32))
        with np.errstate(all="ignore"):
            opt.step()
        results.append(p.detach().numpy().copy())
    assert not np.all(np.isfinite(results[0]))
    np.testing.assert_array_equal(results[1], results[0])


def test_the_form_is_chosen_in_one_place():
    f32, f16 = np.zeros(3, np.float32), np.zeros(3, np.float16)
    assert _resolve_fused(None, [f32], "SGD") == _fused.jit_active()
    assert _resolve_fused(None, [f32, f16], "SGD") is False  # auto falls back for other dtypes
    assert _resolve_fused(False, [f32], "SGD") is False
    assert _resolve_fused(True, [f32], "SGD") is True
    with pytest.raises(RuntimeError, match="float16"):
        _resolve_fused(True, [f16], "SGD")
    with pytest.raises(RuntimeError, match="float16"):  # at construction, before any step
        mytorch.optim.SGD([mytorch.tensor(np.ones(2, np.float16), requires_grad=True)], lr=0.1, fused=True)
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        mytorch.optim.Adam([mytorch.ones(2, requires_grad=True)], fused=True, foreach=True)


def test_float16_parameters_take_the_numpy_form():
    p = mytorch.tensor(np.ones(4, np.float16), requires_grad=True)
    p.grad = mytorch.tensor(np.full(4, 0.5, np.float16))
    mytorch.optim.SGD([p], lr=0.5, momentum=0.9).step()
    np.testing.assert_array_equal(p.detach().numpy(), np.full(4, 0.75, np.float16))


@pytest.mark.parametrize("name, kwargs", [("Adadelta", {}), ("Adam", dict(lr=0.01, amsgrad=True)),
                                          ("SGD", dict(lr=0.1, momentum=0.9))])
def test_two_threads_stepping_two_optimizers_equal_the_sequential_results(name, kwargs):
    """Same-shaped parameters with transposed gradients (the case that went through a shared
    scratch buffer): each thread's result must equal the same optimizer run alone."""
    dtype, steps, n_threads = np.float32, 30, 2

    def make(seed):
        rng = np.random.default_rng(seed)
        p = mytorch.tensor(rng.standard_normal((64, 96)).astype(dtype), requires_grad=True)
        grads = [rng.standard_normal((96, 64)).astype(dtype).T for _ in range(steps)]
        return p, getattr(mytorch.optim, name)([p], **kwargs), grads

    def run(p, opt, grads, barrier=None):
        for g in grads:
            if barrier is not None:
                barrier.wait()
            p.grad = mytorch.tensor(np.zeros(1, dtype))
            p.grad.data = g
            opt.step()

    sequential = []
    for seed in range(n_threads):
        p, opt, grads = make(seed)
        run(p, opt, grads)
        sequential.append(p.detach().numpy().copy())
    jobs = [make(seed) for seed in range(n_threads)]
    barrier = threading.Barrier(n_threads)
    threads = [threading.Thread(target=run, args=(*job, barrier)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (p, _, _), want in zip(jobs, sequential):
        np.testing.assert_array_equal(p.detach().numpy(), want)


_NO_JIT_SCRIPT = """
import sys
if "--no-numba" in sys.argv:
    sys.modules["numba"] = None  # import numba raises ImportError, as where it is not installed
import numpy as np, mytorch
from mytorch.optim import _fused
assert not _fused.jit_active()
for name, kw in [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)), ("Adadelta", {}),
                 ("RMSprop", dict(centered=True, momentum=0.5)), ("Adagrad", {})]:
    results = []
    for fused in (None, True, False):
        p = mytorch.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        opt = getattr(mytorch.optim, name)([p], **kw, fused=fused)
        for i in range(3):
            p.grad = mytorch.tensor(np.cos(np.arange(12.0) + i).reshape(3, 4))
            opt.step()
        results.append(p.detach().numpy().copy())
    assert all(np.array_equal(results[0], r) for r in results), name
print("ok")
"""


def _run_fresh(script, *args, **env):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", script, *args], env=dict(os.environ, **env), cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")


def test_every_form_runs_with_numbas_jit_disabled():
    _run_fresh(_NO_JIT_SCRIPT, NUMBA_DISABLE_JIT="1")


def test_every_form_runs_without_numba():
    _run_fresh(_NO_JIT_SCRIPT, "--no-numba")


def test_a_fresh_process_can_start_with_the_fused_form():
    """fused=True as the very first use of the kernels (no auto choice looked numba up before)."""
    _run_fresh("import numpy as np, mytorch\n"
               "p = mytorch.tensor(np.ones(3), requires_grad=True)\n"
               "p.grad = mytorch.tensor(np.ones(3))\n"
               "mytorch.optim.Adam([p], fused=True).step()\n"
               "print('ok')\n")
