"""The CuPy (CUDA) backend."""
