"""``torch.jit``: there is no TorchScript compiler here. ``script`` and ``trace`` return the module
or function unchanged, with a warning, because the result is not a ScriptModule (no ``.graph``,
``.code`` or ``.save``); it computes the same values. ``ignore``/``unused``/``export`` are identity
decorators, so code annotated for TorchScript runs as plain Python."""
import warnings

__all__ = ["script", "trace", "ignore", "unused", "export", "is_scripting", "is_tracing"]


def _warn(name):
    warnings.warn(f"mytorch.jit.{name}: there is no TorchScript here; the module or function is returned "
                  "unchanged (it runs as plain Python)", UserWarning, stacklevel=3)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    _warn("script")
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    _warn("trace")
    return func


def _identity_decorator(fn=None, **kwargs):
    return fn if fn is not None else (lambda f: f)


ignore = unused = export = _identity_decorator


def is_scripting():
    return False


def is_tracing():
    return False
