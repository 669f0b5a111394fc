"""``unigrad.nn``: modules, layers, losses, initialisation and utilities (PyTorch's ``torch.nn``)."""
from . import functional, init, utils  # noqa: F401
from .modules.activation import (  # noqa: F401
    CELU, ELU, GELU, GLU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid,
    LogSoftmax, Mish, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softmin, Softplus, Softsign, Tanh,
)
from .modules.activation import (  # noqa: F401
    Hardshrink, PReLU, RReLU, Softmax2d, Softshrink, Tanhshrink, Threshold,
)
from .modules.container import Container  # noqa: F401
from .modules.container import (  # noqa: F401
    ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential,
)
from .modules.conv import (  # noqa: F401
    Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
)
from .modules.dropout import (  # noqa: F401
    AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout,
)
from .modules.fold import Fold, Unfold  # noqa: F401
from .modules.lazy import (  # noqa: F401
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d,
    LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d,
    LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear,
)
from .modules.linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: F401
from .modules.loss import (  # noqa: F401
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, HuberLoss, KLDivLoss,
    L1Loss, MSELoss, NLLLoss, SmoothL1Loss,
)
from .modules.loss import (  # noqa: F401
    CTCLoss, GaussianNLLLoss, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss2d, PoissonNLLLoss, SoftMarginLoss, TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)
from .modules.adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: F401
from .modules.distance import CosineSimilarity, PairwiseDistance  # noqa: F401
from .modules.module import Module  # noqa: F401
from .modules.normalization import (  # noqa: F401
    BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm,
)
from .modules.padding import (  # noqa: F401
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
    ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
    ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d,
)
from .modules.normalization import (  # noqa: F401
    BatchNorm3d, CrossMapLRN2d, InstanceNorm1d, InstanceNorm3d, LocalResponseNorm, RMSNorm,
)
from .modules.sync_batchnorm import SyncBatchNorm  # noqa: F401
from .modules.pooling import (  # noqa: F401
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,
    AdaptiveMaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, FractionalMaxPool2d, FractionalMaxPool3d,
    LPPool1d, LPPool2d, LPPool3d, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d, MaxUnpool2d,
    MaxUnpool3d,
)
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401
from .modules.shuffling import ChannelShuffle, PixelShuffle, PixelUnshuffle  # noqa: F401
from .modules.sparse import Embedding  # noqa: F401
from .modules.sparse import EmbeddingBag  # noqa: F401
from .modules.transformer import (  # noqa: F401
    MultiheadAttention, TransformerEncoder, TransformerEncoderLayer,
)
from .modules.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
from .modules.transformer import Transformer, TransformerDecoder, TransformerDecoderLayer  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
from .parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401
from . import parallel  # noqa: E402,F401
from .parallel import DataParallel  # noqa: E402,F401
