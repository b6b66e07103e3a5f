"""The peers' OpenBLAS gets the kernel attnscope's gets (issue 24): Debian 12's OpenBLAS 0.3.21 gives
AVX-512 CPUs it does not know (AMD Zen 4) its AVX2 "Haswell" kernel; attnscope sets
OPENBLAS_CORETYPE=SkylakeX on CPUs with the AVX-512 F/CD/BW/DQ/VL set before its BLAS loads, and a
fair peer must run on the same kernel. Import this before torch (OpenBLAS reads it when it loads)."""

import os

AVX512_SET = ("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl")


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def prefer_attnscopes_blas_kernel():
    """Sets OPENBLAS_CORETYPE as attnscope does, unless the user set it; returns its value or None."""
    if "OPENBLAS_CORETYPE" not in os.environ and all(f in cpu_flags() for f in AVX512_SET):
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    return os.environ.get("OPENBLAS_CORETYPE")


prefer_attnscopes_blas_kernel()
