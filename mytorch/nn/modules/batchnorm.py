"""torch.nn.modules.batchnorm's names (the classes live in layers.py), so code that checks
``isinstance(m, nn.modules.batchnorm._BatchNorm)`` runs."""
from mytorch.nn.modules.layers import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm  # noqa: F401

_NormBase = _BatchNorm

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch norm over any (N, C, ...) input whose statistics torch gathers across processes; with one
    process they are the local batch's, so this is BatchNorm of any rank. ``process_group`` is accepted.

    Example::

        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replaces every BatchNorm*d inside ``module`` (or ``module`` itself) by a SyncBatchNorm holding the
        same parameters, buffers and training mode; returns the converted module."""
        out = module
        from mytorch.nn.modules.normalization import _InstanceNorm  # torch's instance norms are no _BatchNorm
        if isinstance(module, _BatchNorm) and not isinstance(module, (SyncBatchNorm, _InstanceNorm)):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group)
            out.use_bias = module.use_bias
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            out.running_mean, out.running_var = module.running_mean, module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
