"""``unigrad info``'s BLAS line: the library, its kernels, and a note when OPENBLAS_CORETYPE holds
back an AVX-512 CPU."""
import threadpoolctl

from unigrad.backends.numpy import blas_info

_OPENBLAS = {"user_api": "blas", "internal_api": "openblas", "version": "0.3.31", "architecture": "Haswell",
             "num_threads": 2}


def test_cpu_flags_are_read_from_the_first_processor(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 avx512f\n\n"
                       "processor\t: 1\nflags\t\t: other\n")
    assert blas_info.cpu_flags(str(cpuinfo)) == {"fpu", "avx2", "avx512f"}
    assert blas_info.cpu_flags(str(tmp_path / "missing")) == set()


def test_forced_older_kernels_on_an_avx512_cpu_are_reported(monkeypatch):
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: [dict(_OPENBLAS)])
    monkeypatch.setattr(blas_info, "cpu_flags", lambda: set(blas_info._AVX512) | {"avx2"})
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    text = blas_info.describe_blas()
    assert text.startswith("OpenBLAS 0.3.31, Haswell kernels, 2 threads")
    assert "OPENBLAS_CORETYPE=Haswell is set" in text
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    assert blas_info.describe_blas() == "OpenBLAS 0.3.31, Haswell kernels, 2 threads"
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setattr(blas_info, "cpu_flags", lambda: {"avx2"})  # no AVX-512: nothing to say
    assert blas_info.describe_blas() == "OpenBLAS 0.3.31, Haswell kernels, 2 threads"


def test_no_blas_found_gives_an_empty_report(monkeypatch):
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: [])
    assert blas_info.describe_blas() == ""
