"""The NCCL process-group transport (``init_process_group("nccl")``, offered by the CUDA backend
through ``process_group_transports``): contiguous CUDA tensors are reduced and broadcast device to device
through CuPy's NCCL binding; everything else falls back to the MPI transport it extends, which
also starts the ranks and hands NCCL's unique id from rank 0 to the others.

Not exercised where no GPU exists; the MPI path shares all the logic above the transport.
"""
from __future__ import annotations

import os

import numpy as np

from ...distributed.mpi import MPITransport

_NCCL_TYPES = {"float16": "NCCL_FLOAT16", "bfloat16": "NCCL_BFLOAT16", "float32": "NCCL_FLOAT32",
               "float64": "NCCL_FLOAT64", "int32": "NCCL_INT32", "int64": "NCCL_INT64",
               "uint8": "NCCL_UINT8", "int8": "NCCL_INT8"}
_NCCL_OPS = {"sum": "NCCL_SUM", "max": "NCCL_MAX", "min": "NCCL_MIN", "avg": "NCCL_AVG"}


class NCCLTransport(MPITransport):
    name = "nccl"

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout)
        try:
            import cupy
            from cupy.cuda import nccl
        except ImportError as error:
            raise RuntimeError("the nccl process group needs CuPy with NCCL: pip install 'unigrad[cuda]'") from error
        self.cupy, self.nccl = cupy, nccl
        local = int(os.environ.get("LOCAL_RANK", self.rank))
        cupy.cuda.Device(local % cupy.cuda.runtime.getDeviceCount()).use()
        uid = np.zeros(128, np.int8)  # ncclUniqueId: 128 bytes
        if self.rank == 0:
            uid[:] = np.array(nccl.get_unique_id(), dtype=np.int64).astype(np.int8)
        self.broadcast(uid, 0)
        self.communicator = nccl.NcclCommunicator(self.world_size, tuple(int(v) for v in uid), self.rank)

    def direct(self, tensor) -> bool:
        """Contiguous tensors held in CuPy arrays of a dtype NCCL reduces go device to device."""
        buf = tensor._buf
        return (isinstance(buf, self.cupy.ndarray) and buf.flags.c_contiguous
                and tensor.dtype.name in _NCCL_TYPES and hasattr(self.nccl, _NCCL_TYPES[tensor.dtype.name]))

    def all_reduce_tensor(self, tensor, op: str) -> None:
        buf = tensor._buf
        kind = getattr(self.nccl, _NCCL_TYPES[tensor.dtype.name])
        average = op == "avg" and not hasattr(self.nccl, "NCCL_AVG")
        nccl_op = getattr(self.nccl, _NCCL_OPS["sum" if average else op])
        stream = self.cupy.cuda.get_current_stream().ptr
        self.communicator.allReduce(buf.data.ptr, buf.data.ptr, buf.size, kind, nccl_op, stream)
        if average:
            buf /= self.world_size
        tensor._version[0] += 1

    def broadcast_tensor(self, tensor, src: int) -> None:
        buf = tensor._buf
        kind = getattr(self.nccl, _NCCL_TYPES[tensor.dtype.name])
        stream = self.cupy.cuda.get_current_stream().ptr
        self.communicator.bcast(buf.data.ptr, buf.size, kind, src, stream)
        tensor._version[0] += 1

    def close(self) -> None:
        self.communicator.destroy()
