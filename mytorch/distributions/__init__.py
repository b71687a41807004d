"""torch.distributions' everyday part: parameterised distributions with sampling, log_prob,
entropy, moments, cdf/icdf, KL divergences and constraints, built on mytorch's autograd ops.

Shapes follow torch: ``sample(sample_shape)`` has ``sample_shape + batch_shape + event_shape``.
``rsample`` (where ``has_rsample``) is reparameterised, so losses of its draws backpropagate to the
parameters. Draws come from mytorch's default generator: ``mytorch.manual_seed`` reproduces them
(the numbers differ from torch's).

Example::

    >>> from mytorch.distributions import Normal, kl_divergence
    >>> q = Normal(mytorch.zeros(3, requires_grad=True), mytorch.ones(3))
    >>> kl_divergence(q, Normal(0.0, 1.0)).shape
    mytorch.Size([3])
"""
from mytorch.distributions import constraints, transforms
from mytorch.distributions._special import digamma, lgamma, polygamma
from mytorch.distributions.bernoulli import Bernoulli
from mytorch.distributions.beta import Beta
from mytorch.distributions.binomial import Binomial
from mytorch.distributions.categorical import Categorical
from mytorch.distributions.cauchy import Cauchy
from mytorch.distributions.chi2 import Chi2
from mytorch.distributions.constraint_registry import biject_to, transform_to
from mytorch.distributions.dirichlet import Dirichlet
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.exponential import Exponential
from mytorch.distributions.gamma import Gamma
from mytorch.distributions.geometric import Geometric
from mytorch.distributions.gumbel import Gumbel
from mytorch.distributions.half_normal import HalfNormal
from mytorch.distributions.independent import Independent
from mytorch.distributions.kl import kl_divergence, register_kl
from mytorch.distributions.laplace import Laplace
from mytorch.distributions.log_normal import LogNormal
from mytorch.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from mytorch.distributions.mixture_same_family import MixtureSameFamily
from mytorch.distributions.multinomial import Multinomial
from mytorch.distributions.multivariate_normal import MultivariateNormal
from mytorch.distributions.negative_binomial import NegativeBinomial
from mytorch.distributions.normal import Normal
from mytorch.distributions.one_hot_categorical import OneHotCategorical
from mytorch.distributions.pareto import Pareto
from mytorch.distributions.poisson import Poisson
from mytorch.distributions.relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from mytorch.distributions.relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from mytorch.distributions.studentT import StudentT
from mytorch.distributions.transformed_distribution import TransformedDistribution
from mytorch.distributions.transforms import *  # noqa: F401,F403
from mytorch.distributions.uniform import Uniform
from mytorch.distributions.weibull import Weibull

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet", "Distribution",
           "ExpRelaxedCategorical", "Exponential", "Gamma", "Geometric", "Gumbel", "HalfNormal", "Independent",
           "Laplace", "LogNormal", "LogitRelaxedBernoulli", "LowRankMultivariateNormal", "MixtureSameFamily",
           "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal", "OneHotCategorical", "Pareto", "Poisson",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT", "TransformedDistribution", "Uniform", "Weibull",
           "biject_to", "constraints", "kl_divergence", "register_kl", "transform_to", "transforms"]
__all__ += transforms.__all__
