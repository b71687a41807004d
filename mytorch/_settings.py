"""Process-wide switches torch scripts set at the top: matmul precision, deterministic algorithms,
inter-op threads, and ``torch.compile``. Each is stored and reported back as torch does; none
changes what runs here (NumPy's float32 GEMM is already "highest" precision and every kernel is
deterministic), so they exist to let the script run unchanged.
"""
import warnings

__all__ = ["set_float32_matmul_precision", "get_float32_matmul_precision", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_num_interop_threads", "get_num_interop_threads", "compile"]

_PRECISIONS = ("highest", "high", "medium")


class _State:
    matmul_precision = "highest"
    deterministic = False
    deterministic_warn_only = False
    interop_threads = 1


_state = _State()


def set_float32_matmul_precision(precision):
    """Stores the float32 matmul precision ('highest', 'high' or 'medium'); the GEMM here is always
    full float32, which each setting allows. An unknown name warns and changes nothing, as torch."""
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "set_float32_matmul_precision call has no effect.", UserWarning, stacklevel=2)
        return
    _state.matmul_precision = precision


def get_float32_matmul_precision():
    return _state.matmul_precision


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Records the request; every kernel here is deterministic already."""
    _state.deterministic = bool(mode)
    _state.deterministic_warn_only = bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _state.deterministic


def is_deterministic_algorithms_warn_only_enabled():
    return _state.deterministic_warn_only


def set_num_interop_threads(n):
    """Stores the inter-op thread count (ops here run one after another on the calling thread)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {n!r}")
    _state.interop_threads = n


def get_num_interop_threads():
    return _state.interop_threads


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """``torch.compile``: there is no compiler here, so the model or function comes back unchanged
    (it computes the same values, which is all torch.compile promises). Used as ``@compile(...)``
    with options only, it returns the identity decorator."""
    if model is None:
        return lambda fn: fn
    return model
