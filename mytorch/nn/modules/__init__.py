"""torch.nn's layers: each file's ``__all__`` is re-exported here (and from mytorch.nn)."""
from mytorch.nn.modules import (activation, container, conv, dropout, layers, lazy, loss, module, normalization,
                                padding, rnn, sparse, transformer, upsampling)
from mytorch.nn.modules.activation import *  # noqa: F401,F403
from mytorch.nn.modules.container import *  # noqa: F401,F403
from mytorch.nn.modules.conv import *  # noqa: F401,F403
from mytorch.nn.modules.dropout import *  # noqa: F401,F403
from mytorch.nn.modules.layers import *  # noqa: F401,F403
from mytorch.nn.modules.lazy import *  # noqa: F401,F403
from mytorch.nn.modules.loss import *  # noqa: F401,F403
from mytorch.nn.modules.module import *  # noqa: F401,F403
from mytorch.nn.modules.normalization import *  # noqa: F401,F403
from mytorch.nn.modules.padding import *  # noqa: F401,F403
from mytorch.nn.modules.rnn import *  # noqa: F401,F403
from mytorch.nn.modules.sparse import *  # noqa: F401,F403
from mytorch.nn.modules.transformer import *  # noqa: F401,F403
from mytorch.nn.modules.upsampling import *  # noqa: F401,F403
# torch's module paths for names defined above (nn.modules.batchnorm._BatchNorm, nn.modules.linear.Linear, ...)
from mytorch.nn.modules.batchnorm import SyncBatchNorm  # noqa: F401
from mytorch.nn.modules.adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: F401
from mytorch.nn.modules import adaptive  # noqa: F401
from mytorch.nn.modules import (batchnorm, distance, flatten, fold, instancenorm, linear, pixelshuffle,  # noqa: F401
                                pooling)

__all__ = (module.__all__ + container.__all__ + layers.__all__ + activation.__all__ + loss.__all__
           + sparse.__all__ + rnn.__all__ + conv.__all__ + dropout.__all__ + normalization.__all__
           + padding.__all__ + upsampling.__all__ + transformer.__all__ + lazy.__all__ + batchnorm.__all__
           + adaptive.__all__)
