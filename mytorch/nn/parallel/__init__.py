"""torch.nn.parallel on one CPU process: the wrappers run the module as is.

There is one device and one process, so DataParallel and DistributedDataParallel are thin wrappers that
call their ``module`` (keeping torch's ``module.`` prefix on state_dict keys, which is what makes their
checkpoints load into each other), ``data_parallel`` runs the module on the inputs, and the gradients are
the module's own (an all-reduce over a single process is the identity).
"""
import contextlib

from mytorch.nn.modules.layers import DataParallel
from mytorch.nn.modules.module import Module

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel", "replicate", "scatter", "gather",
           "parallel_apply"]


class DistributedDataParallel(Module):
    """Runs ``module`` as is: one process is the whole group, so averaging gradients across it changes
    nothing. Accepts torch's arguments (``device_ids``, ``process_group``, ``find_unused_parameters``, ...)
    and offers ``no_sync()``.

    Example::

        >>> model = DistributedDataParallel(net)
        >>> model(x).sum().backward()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self.module, self.device_ids, self.output_device, self.dim = module, device_ids, output_device, dim
        self.broadcast_buffers, self.process_group = broadcast_buffers, process_group
        self.find_unused_parameters = find_unused_parameters

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Gradients accumulate locally inside this context (always the case on one process)."""
        yield

    def join(self, divide_by_initial_world_size=True, enable=True, throw_on_early_termination=False):
        return contextlib.nullcontext()


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Evaluates ``module(*inputs)`` (on the one device)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))


def replicate(network, devices, detach=False):
    """One replica per device: the network itself (one device)."""
    return [network for _ in devices]


def scatter(inputs, target_gpus, dim=0):
    """The inputs for each device: all of them on the one device."""
    return [inputs if isinstance(inputs, tuple) else (inputs,)]


def gather(outputs, target_device, dim=0):
    """The one device's outputs."""
    return outputs[0] if isinstance(outputs, (list, tuple)) and len(outputs) == 1 else outputs


def parallel_apply(modules, inputs, kwargs_tup=None, devices=None):
    """Runs each module on its inputs, in turn."""
    kwargs_tup = kwargs_tup or ({},) * len(modules)
    return [m(*(i if isinstance(i, (list, tuple)) else (i,)), **k) for m, i, k in zip(modules, inputs, kwargs_tup)]
