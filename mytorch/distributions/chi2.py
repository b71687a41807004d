from mytorch.distributions.gamma import Gamma

__all__ = ["Chi2"]


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom: Gamma(df / 2, 1 / 2).

    Args:
        df (float or Tensor): degrees of freedom, > 0.
    """

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_to(Chi2, ("concentration", "rate"), batch_shape, _instance)

    @property
    def df(self):
        return self.concentration * 2
