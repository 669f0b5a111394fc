"""``unigrad.nn.functional``: the functional form of every layer, activation and loss."""
from ...api.ops.linalg import matmul  # noqa: F401
from ...api.ops.norms import pdist  # noqa: F401
from .activation import (  # noqa: F401
    celu, elu, gelu, glu, hardsigmoid, hardswish, hardtanh, leaky_relu, log_softmax, logsigmoid,
    mish, relu, relu6, selu, sigmoid, silu, softmax, softmin, softplus, softsign, tanh,
)
from .attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401
from .conv import conv1d, conv2d, conv_transpose2d, unfold  # noqa: F401
from .dropout import alpha_dropout, dropout, dropout1d, dropout2d  # noqa: F401
from .linear import bilinear, linear  # noqa: F401
from .loss import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss,
    cosine_similarity, cross_entropy, huber_loss, kl_div, l1_loss, mse_loss, nll_loss,
    poisson_nll_loss, smooth_l1_loss,
)
from .normalization import batch_norm, group_norm, instance_norm, layer_norm, normalize  # noqa: F401
from .padding import interpolate, pad, upsample  # noqa: F401
from .pooling import (  # noqa: F401
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,
    avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,
)
from .sparse import embedding, one_hot  # noqa: F401
