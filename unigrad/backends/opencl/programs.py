"""Builds each kernel once per (operation, dtypes, layout) and keeps the ``cl.Kernel`` objects.

PyOpenCL also caches compiled binaries on disk, so a second process skips the compiler."""
from __future__ import annotations

import warnings

BUILD_OPTIONS = ["-cl-fp32-correctly-rounded-divide-sqrt"]


class KernelBuildError(RuntimeError):
    """A generated kernel failed to compile: a bug in unigrad's code generation."""


class ProgramCache:
    def __init__(self, context, device) -> None:
        self.context = context
        self.device = device
        self.kernels: dict = {}
        self.programs: dict = {}
        self.builds = 0  # how many programs were compiled (for tests)

    def get(self, key, make_source, kernel_name=None, scalar_types=None):
        """The kernel for ``key``; on first use, ``make_source()`` gives ``(source, name)``."""
        found = self.kernels.get((key, kernel_name))
        if found is not None:
            return found
        import pyopencl as cl

        program = self.programs.get(key)
        name = kernel_name
        if program is None:
            source, made_name = make_source()
            name = kernel_name or made_name
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # compiler chatter on success
                    program = cl.Program(self.context, source).build(options=BUILD_OPTIONS)
            except cl.Error as error:
                raise KernelBuildError(f"OpenCL kernel {key} failed to build: {error}\n{source}") from None
            self.programs[key] = program
            self.builds += 1
        if name is None:
            name = make_source()[1]
        kernel = cl.Kernel(program, name)
        if scalar_types is not None:
            kernel.set_scalar_arg_dtypes(scalar_types())
        self.kernels[(key, kernel_name)] = kernel
        return kernel
