import mytorch
from mytorch.distributions import constraints
from mytorch.distributions._special import digamma, lgamma, standard_gamma
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.utils import _tiny

__all__ = ["Dirichlet"]


class Dirichlet(Distribution):
    """The Dirichlet distribution over the simplex, with concentration alpha (last dim: the event).

    rsample normalises reparameterised Gamma(alpha_i, 1) draws, so gradients flow to alpha.

    Args:
        concentration (Tensor): alpha, > 0, at least one-dimensional.
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_to(Dirichlet, ("concentration",), batch_shape, _instance)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        gammas = standard_gamma(self.concentration.expand(shape))
        gammas = gammas.clamp(min=_tiny(gammas))
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (mytorch.xlogy(self.concentration - 1.0, value).sum(-1) + lgamma(self.concentration.sum(-1))
                - lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        total = concentrationm1.sum(-1, keepdim=True)
        # NOTE: every alpha <= 1 gives 0 / 0 here; a safe denominator keeps that nan out of the gradient
        mode = concentrationm1 / mytorch.where(total == 0, mytorch.ones_like(total), total)
        mask = (self.concentration < 1).all(dim=-1)
        if bool(mask.any()):  # every alpha < 1: the density peaks at the vertices; torch puts the mode at one
            mode = mytorch.where(mask.unsqueeze(-1),
                                 mytorch.nn.functional.one_hot(mode.argmax(dim=-1), concentrationm1.shape[-1])
                                 .to(mode.dtype), mode)
        return mode

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (lgamma(self.concentration).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0)
                - ((self.concentration - 1.0) * digamma(self.concentration)).sum(-1))
