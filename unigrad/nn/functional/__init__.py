"""``unigrad.nn.functional``: the functional form of every layer, activation and loss."""
from ...api.ops.linalg import matmul  # noqa: F401
from ...api.ops.norms import pdist  # noqa: F401
from .activation import (  # noqa: F401
    celu, elu, gelu, glu, hardsigmoid, hardswish, hardtanh, leaky_relu, log_softmax, logsigmoid,
    mish, relu, relu6, selu, sigmoid, silu, softmax, softmin, softplus, softsign, tanh,
)
from .activation import (  # noqa: F401
    celu_, elu_, gumbel_softmax, hardshrink, hardtanh_, leaky_relu_, prelu, relu_, rrelu, rrelu_,
    selu_, softshrink, tanhshrink, threshold, threshold_,
)
from .attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401
from .ctc import ctc_loss  # noqa: F401
from .adaptive_pooling import (  # noqa: F401
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d, adaptive_max_pool3d_with_indices,
)
from .conv import (  # noqa: F401
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d,
)
from .folding import fold, unfold  # noqa: F401
from .dropout import (  # noqa: F401
    alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout,
)
from .distance import pairwise_distance, pdist  # noqa: F401
from .linear import bilinear, linear  # noqa: F401
from .loss import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss,
    cosine_similarity, cross_entropy, huber_loss, kl_div, l1_loss, mse_loss, nll_loss,
    poisson_nll_loss, smooth_l1_loss,
)
from .normalization import batch_norm, group_norm, instance_norm, layer_norm, normalize  # noqa: F401
from .padding import pad  # noqa: F401
from .loss import gaussian_nll_loss  # noqa: F401
from .margin import (  # noqa: F401
    hinge_embedding_loss, margin_ranking_loss, multi_margin_loss, multilabel_margin_loss,
    multilabel_soft_margin_loss, soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss,
)
from .normalization import local_response_norm, rms_norm  # noqa: F401
from .pooling import (  # noqa: F401
    avg_pool1d, avg_pool2d, avg_pool3d, lp_pool1d, lp_pool2d, lp_pool3d, max_pool1d,
    max_pool1d_with_indices, max_pool2d, max_pool2d_with_indices, max_pool3d, max_pool3d_with_indices,
)
from .sparse import embedding, one_hot  # noqa: F401
from .fractional_pooling import (  # noqa: F401
    fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)
from .grid_sampling import affine_grid, grid_sample  # noqa: F401
from .shuffling import channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: F401
from .unpooling import max_unpool1d, max_unpool2d, max_unpool3d  # noqa: F401
from .resampling import interpolate, upsample, upsample_bilinear, upsample_nearest  # noqa: F401
from .sparse import embedding_bag  # noqa: F401
