"""Autograd: the graph, the backward engine, grad modes, custom Functions and gradcheck."""
from .function import Function, FunctionCtx, once_differentiable
from .functional import backward, grad
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .node import Node
from . import functional, graph  # noqa: E402  (torch.autograd.functional / torch.autograd.graph)
from .anomaly_mode import (  # noqa: E402
    detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly,
)
from .variable import Variable  # noqa: E402

__all__ = ["Function", "FunctionCtx", "once_differentiable", "backward", "grad", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled", "gradcheck", "gradgradcheck",
           "GradcheckError", "Node", "Variable", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "functional", "graph"]
