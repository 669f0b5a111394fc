"""Regenerate ``pytorch_api.txt``: the public PyTorch names ordinary training code uses.

Run with torch installed (``python tests/api_coverage/generate.py``). The list is taken from
PyTorch's own namespaces (``torch``, ``torch.Tensor``, ``torch.nn``, ``torch.nn.functional``,
``torch.nn.init``, ``torch.nn.utils``, ``torch.optim``, ``torch.optim.lr_scheduler``,
``torch.utils.data``, ``torch.autograd``, ``torch.special``, ``torch.linalg``, ``torch.distributions``,
``torch.amp``, ``torch.cuda``, ``torch.backends``, ``torch.accelerator``), minus the families left out on
purpose (each rule below says why): complex numbers, sparse layouts, quantization, FFT and spectral
ops, linear-algebra decompositions, and TorchScript/dispatcher/compiler internals.
"""
from __future__ import annotations

import pathlib
import re
import types

import torch

HERE = pathlib.Path(__file__).resolve().parent

#: (regex on the name, why the family is left out); matched against the bare name
EXCLUDED = [
    (r"complex|cfloat|cdouble|chalf|conj|^real$|^imag$|^angle$|^polar$|view_as_real|view_as_complex|resolve_neg|^is_neg$",
     "complex numbers (out of scope)"),
    (r"sparse|_coo|csr|csc|bsr|bsc|^to_dense$|coalesce|^indices$|^values$|crow_|ccol_|row_indices|col_indices|"
     r"^smm$|^spmm$|^hspmm$|^sspaddmm$|^dsmm$|^hsmm$|^saddmm$|dense_dim|^to_mkldnn$|^is_mkldnn$",
     "sparse layouts (out of scope)"),
    (r"quant|^q_|qint|quint|qscheme|int_repr|^dequantize$|fbgemm|per_channel|per_tensor|choose_qparams|fused_moving_avg",
     "quantization (out of scope)"),
    (r"fft|stft|^istft$|^spectral", "FFT and spectral ops (out of scope)"),
    (r"cholesky|^qr$|svd|^eig|symeig|^lu|lstsq|^solve|triangular_solve|^det$|logdet|^inverse$|pinv|matrix_exp|"
     r"matrix_power|matrix_rank|geqrf|orgqr|ormqr|lobpcg|pca_lowrank|householder|^ldl|^inv|^tensorinv$|^tensorsolve$|"
     r"nuclear_norm|^cond$|^slogdet$|^eigvals|^svdvals|^matrix_norm$ord",
     "linear-algebra decompositions and solvers (out of scope)"),
    (r"bessel|chebyshev|hermite|laguerre|legendre|airy|zeta|^i1e?$|^i0e$|erfcx|gammainc|^igammac?$",
     "Bessel functions and orthogonal polynomials (scientific computing, not training code)"),
    (r"^cudnn_|^miopen_|^mkldnn_|^native_|^batch_norm_|^_|^fbgemm|^sym_|_copy$|^unsafe_|^fork$|^wait$|^compiled_with|"
     r"^import_ir|^parse_ir|^parse_schema|^parse_type|^merge_type|^unify_type|^vitals|^autocast_(de|in)crement|"
     r"^set_autocast_(ipu|xla)|^get_autocast_(ipu|xla)|^is_autocast_(ipu|xla)|^(ipu|xla|mtia|maia|xpu|mps)$|"
     r"^is_(ipu|xla|mtia|maia|vulkan)|_(ipu|xla|mtia|maia)_|^segment_reduce$|^conv_tbc$|^embedding_renorm_$|"
     r"^constant_pad_nd$|^convolution$|^affine_grid_generator$|^grid_sampler|^rnn_(relu|tanh)|^lstm(_cell)?$|"
     r"^gru(_cell)?$|^norm_except_dim$|^frobenius_norm$|^prepare_multiprocessing|^profiler_allow|^thread_safe_generator|"
     r"^init_num_threads$|^sym|^classproperty$|^while_loop$|^cond$|^vmap$|^export$|^library$|^Tag$|"
     r"^module_load$|^dim_order$|^record_stream$|^slice_inverse$|^nonzero_static$|^grad_dtype$|^hash_tensor$|^map2_$|"
     r"^storage_type$|^untyped_storage$|^is_set_to$|^set_$|^reinforce$|^volatile$|^output_nr$|^mtia$|^ipu$|^xpu$|"
     r"^is_inference$x|^get_file_path$|^is_vulkan_available$|^from_file$|^grouped_mm$|^scaled_(grouped_)?mm$|"
     r"^bits|^float8|^float4|^uint[1-7]$|^int[1-7]$|^uint(16|32|64)$|^AVG$|^SUM$|^USE_|^TYPE_CHECKING$|^PRIVATE_OPS$|"
     r"^jagged$|^strided$|^sparse|^per_|^legacy_contiguous_format$",
     "TorchScript, dispatcher, compiler and backend-specific internals"),
]

#: top-level classes and submodules kept (every other capitalised name and submodule is internal)
TOP_CLASSES = {"Tensor", "Size", "dtype", "device", "Generator", "finfo", "iinfo", "no_grad", "enable_grad",
               "set_grad_enabled", "inference_mode", "autocast", "memory_format", "layout", "GradScaler",
               "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor",
               "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "OutOfMemoryError"}
TOP_MODULES = {"accelerator", "amp", "autograd", "backends", "cpu", "cuda", "distributed", "distributions",
               "linalg", "multiprocessing", "nn", "optim", "random", "special", "testing", "utils",
               "serialization", "return_types", "compiler"}
NOT_PUBLIC_MODULES = {"builtins", "ctypes", "functools", "glob", "importlib", "inspect", "math", "os", "platform",
                      "sys", "textwrap", "threading", "types", "warnings", "torch", "version", "torch_version"}


def excluded(name: str) -> str:
    for pattern, reason in EXCLUDED:
        if re.search(pattern, name):
            return reason
    return ""


def public(namespace, names=None) -> list[str]:
    names = names if names is not None else getattr(namespace, "__all__", None) or dir(namespace)
    return sorted({n for n in names if not n.startswith("_")})


def sections() -> dict[str, list[str]]:
    import torch.nn.functional as F
    import torch.utils.data as data
    top = []
    for name in public(torch, dir(torch)):
        value = getattr(torch, name)
        if isinstance(value, types.ModuleType):
            if name in TOP_MODULES:
                top.append(name)
            continue
        if isinstance(value, type) and name not in TOP_CLASSES:
            continue
        top.append(name)
    functional = [n for n in public(F, dir(F)) if callable(getattr(F, n))
                  and getattr(getattr(F, n), "__module__", "") and "torch" in getattr(getattr(F, n), "__module__", "")
                  and not isinstance(getattr(F, n), type) and not n.startswith(("has_torch_function", "handle_torch"))
                  and n not in ("boolean_dispatch", "assert_int_or_pair")]
    found = {
        "torch": top,
        "Tensor": public(torch.Tensor, dir(torch.Tensor)),
        "nn": public(torch.nn.modules) + ["Parameter", "Buffer", "Module", "init", "utils", "functional",
                                            "parallel", "DataParallel"],
        "nn.Module": public(torch.nn.Module, dir(torch.nn.Module)),
        "nn.functional": functional,
        "nn.init": [n for n in public(torch.nn.init, dir(torch.nn.init)) if callable(getattr(torch.nn.init, n))
                    and getattr(getattr(torch.nn.init, n), "__module__", "") == "torch.nn.init"],
        "nn.utils": ["clip_grad_norm_", "clip_grad_value_", "clip_grad_norm", "parameters_to_vector",
                     "vector_to_parameters", "get_total_norm", "clip_grads_with_norm_", "weight_norm",
                     "remove_weight_norm", "spectral_norm", "remove_spectral_norm", "rnn", "parametrizations",
                     "parametrize", "fuse_conv_bn_eval", "skip_init"],
        "nn.utils.rnn": ["pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
                         "unpack_sequence", "unpad_sequence", "PackedSequence"],
        "optim": public(torch.optim),
        "optim.lr_scheduler": public(torch.optim.lr_scheduler),
        "utils.data": [n for n in public(data) if "DataPipe" not in n and "datapipe" not in n.lower()
                       and n not in ("argument_validation", "runtime_validation", "runtime_validation_disabled",
                                     "non_deterministic", "guaranteed_datapipes_determinism", "DataChunk")],
        "autograd": public(torch.autograd, ["backward", "grad", "Function", "Variable", "gradcheck", "gradgradcheck",
                                            "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
                                            "detect_anomaly", "set_detect_anomaly", "functional", "graph",
                                            "forward_ad", "set_multithreading_enabled", "grad_mode", "profiler"]),
        "autograd.graph": ["saved_tensors_hooks", "save_on_cpu", "Node", "register_multi_grad_hook",
                           "disable_saved_tensors_hooks"],
        "autograd.functional": ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"],
        "special": public(torch.special),
        "linalg": public(torch.linalg),
        "distributions": [n for n in public(torch.distributions) if n[0].isupper() or n in ("kl_divergence",
                                                                                         "register_kl")],
        "amp": ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"],
        "cuda": ["is_available", "device_count", "current_device", "set_device", "synchronize", "manual_seed",
                 "manual_seed_all", "empty_cache", "is_bf16_supported", "get_device_name", "get_device_properties",
                 "memory_allocated", "max_memory_allocated", "reset_peak_memory_stats", "device", "amp", "Event",
                 "Stream", "stream", "current_stream", "get_device_capability", "mem_get_info"],
        "backends": ["cudnn", "mps", "cuda", "mkldnn", "openmp", "mkl"],
        "accelerator": public(torch.accelerator),
    }
    return {section: [n for n in names if not excluded(n)] for section, names in found.items()}


def main() -> None:
    lines = ["# section name -- generated by tests/api_coverage/generate.py from torch " + torch.__version__]
    for section, names in sections().items():
        lines += [f"{section} {name}" for name in names]
    (HERE / "pytorch_api.txt").write_text("\n".join(lines) + "\n")
    print(len(lines) - 1, "names")


if __name__ == "__main__":
    main()
