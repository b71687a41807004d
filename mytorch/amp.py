"""Mixed precision boilerplate, as torch.amp has it, for a CPU-only framework: ``autocast`` is
accepted (a context manager and decorator that changes nothing: mytorch computes in each tensor's
own dtype) and ``GradScaler`` scales nothing (``scale(loss)`` is loss, ``step`` is the optimizer's
step), which is what torch does when scaling is disabled."""
import functools

__all__ = ["autocast", "GradScaler"]


class autocast:
    """``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``."""

    def __init__(self, device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
        self.device_type, self.fast_dtype, self.enabled = device_type, dtype, enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


class GradScaler:
    """``torch.amp.GradScaler(device="cuda", init_scale=65536.0, ..., enabled=True)`` with a scale of 1."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._enabled = enabled

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer):
        pass

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        pass

    def get_scale(self):
        return 1.0

    def is_enabled(self):
        return False

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        pass
