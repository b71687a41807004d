"""torch.nn.functional: activations, normalization, dropout, padding, resampling, attention,
embeddings and losses; convolution and pooling are re-exported from mytorch.nn._conv (the kernels
side of the API).

Pointwise activations are rows of one table (_activation.ACTIVATIONS: forward and derivative on
ndarrays) run by one primitive. Softmax, normalization, binary cross-entropy, embedding lookups,
resampling, fold/unfold and CTC are fused primitives with closed-form backwards; the rest are
compositions whose gradients come from the engine.

The code lives in private modules by topic, each with its own ``__all__``; this module re-exports
them: _activation (activations, softmax, linear), _loss (losses and distances), _embedding,
_dropout, _sampling (padding, interpolate, fold/unfold, grid_sample), _normalization, _attention
(bilinear, attention); _functional_base holds the primitives they share.
"""
from mytorch.nn import _conv
from mytorch.nn._conv import *  # noqa: F401,F403  (convolution and pooling: the kernels side)
from mytorch.nn._activation import *  # noqa: F401,F403
from mytorch.nn._loss import *  # noqa: F401,F403
from mytorch.nn._embedding import *  # noqa: F401,F403
from mytorch.nn._dropout import *  # noqa: F401,F403
from mytorch.nn._sampling import *  # noqa: F401,F403
from mytorch.nn._normalization import *  # noqa: F401,F403
from mytorch.nn._attention import *  # noqa: F401,F403

__all__ = list(_conv.__all__) + ["pad", "relu", "relu_", "leaky_relu", "leaky_relu_", "sigmoid", "tanh", "gelu",
           "linear", "softmax", "log_softmax", "softmin", "dropout", "one_hot", "batch_norm", "embedding", "elu",
           "elu_", "selu", "celu", "silu", "mish", "softplus", "softsign", "hardtanh", "hardtanh_", "relu6",
           "hardsigmoid", "hardswish", "logsigmoid", "softshrink", "hardshrink", "tanhshrink", "threshold",
           "threshold_", "rrelu", "rrelu_", "prelu", "glu", "nll_loss", "cross_entropy", "mse_loss", "l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "smooth_l1_loss", "huber_loss", "kl_div",
           "soft_margin_loss", "margin_ranking_loss", "hinge_embedding_loss", "pairwise_distance",
           "cosine_similarity", "normalize", "cosine_embedding_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "layer_norm", "rms_norm",
           "group_norm", "instance_norm", "local_response_norm", "dropout1d", "dropout2d", "dropout3d",
           "alpha_dropout", "feature_alpha_dropout", "interpolate", "upsample", "upsample_nearest",
           "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
           "unfold", "fold", "bilinear", "scaled_dot_product_attention", "multi_head_attention_forward",
           "affine_grid", "grid_sample", "embedding_bag", "gumbel_softmax", "pdist", "selu_", "celu_", "ctc_loss"]

