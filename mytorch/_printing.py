"""How tensors print: ``set_printoptions`` and torch's repr/str/format rules.

The rules are torch's (``torch/_tensor_str.py``): one formatter per tensor chooses, from the
nonzero finite values, integer mode ('1.'), fixed ('1.2346') or scientific ('1.2346e+05') notation
(scientific when max/min > 1000, max > 1e8, or min < 1e-4 for non-integers) and a common width;
tensors with more than ``threshold`` elements print ``edgeitems`` rows/values at each end with
'...'; a dtype other than the default float, int64 and bool is shown, then ``grad_fn=<...>`` or
``requires_grad=True``.
"""
import math

import numpy as np

__all__ = ["set_printoptions", "get_printoptions"]


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


OPTS = _Options()
_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """torch.set_printoptions: digits after the point, the element count above which a tensor is
    summarised, items kept at each end when summarised, characters per line, a named profile
    ('default', 'short', 'full'), and sci_mode (True/False forces, None chooses)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"Invalid profile {profile!r}; expected one of {sorted(_PROFILES)}")
        for k, v in _PROFILES[profile].items():
            setattr(OPTS, k, v)
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(OPTS, name, value)
    OPTS.sci_mode = sci_mode


def get_printoptions():
    return {k: getattr(OPTS, k) for k in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


class _Formatter:
    def __init__(self, values):
        """``values``: a flat ndarray of what will be printed (summarised already)."""
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        p = OPTS.precision
        if not self.floating:
            for v in values.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            if OPTS.sci_mode is not None:
                self.sci_mode = OPTS.sci_mode
        else:
            finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
            if finite.size:
                amin, amax = float(np.abs(finite).min()), float(np.abs(finite).max())
                self.int_mode = bool(np.all(finite == np.ceil(finite)))
                self.sci_mode = amax / amin > 1000.0 or amax > 1.0e8 or (not self.int_mode and amin < 1.0e-4)
                if OPTS.sci_mode is not None:  # (torch leaves a tensor without such values as is)
                    self.sci_mode = OPTS.sci_mode
            items = finite.tolist()
            if not items:
                pass
            elif self.sci_mode:
                self.max_width = max(len(f"{v:.{p}e}") for v in items)
            elif self.int_mode:
                self.max_width = max(len(f"{v:.0f}") + 1 for v in items)
            else:
                self.max_width = max(len(f"{v:.{p}f}") for v in items)

    def format(self, value):
        p = OPTS.precision
        if self.floating:
            if self.sci_mode:
                s = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    s += "."
            else:
                s = f"{value:.{p}f}"
        else:
            s = f"{value}"
        return (self.max_width - len(s)) * " " + s


def _summarized(a):
    e = OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return np.empty((0,) * a.ndim, a.dtype)
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _vector(a, indent, summarize, fmt):
    e = OPTS.edgeitems
    per_line = max(1, int(math.floor((OPTS.linewidth - indent) / (fmt.max_width + 2))))
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    e = OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        parts = ([_nested(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] +
                 [_nested(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0] - e, a.shape[0])])
    else:
        parts = [_nested(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def array_str(a, indent):
    """The bracketed body of a tensor's repr (torch's _tensor_str)."""
    if a.size == 0:
        return "[]"
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    summarize = a.size > OPTS.threshold
    fmt = _Formatter((_summarized(a) if summarize else a).reshape(-1))
    return _nested(a, indent, summarize, fmt)


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # NOTE: measured as torch prints it (`torch.float64`), so a suffix wraps exactly where torch's
        # does and the text differs from torch's only by the module name
        width = len(suffix) - suffix.count("mytorch.") * (len("mytorch.") - len("torch."))
        if last + width + 2 > OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last = indent + width
        else:
            parts.append(", " + suffix)
            last += width + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix="tensor("):
    """torch's repr of a Tensor, ``prefix`` included (Parameter prints through it too)."""
    from mytorch import _dtype
    a = t._data
    indent = len(prefix)
    suffixes = []
    default = _dtype.get_default_dtype()
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append("size=" + str(tuple(a.shape)))
        if t.dtype is not default:
            suffixes.append("dtype=" + repr(t.dtype))
        body = "[]"
    else:
        if t.dtype not in (default, _dtype.int64, _dtype.bool_):
            suffixes.append("dtype=" + repr(t.dtype))
        body = array_str(a, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
