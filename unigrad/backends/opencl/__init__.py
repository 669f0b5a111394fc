"""The OpenCL backend (PyOpenCL; PoCL on the CPU where no GPU driver is installed)."""
