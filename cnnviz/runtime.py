"""Process settings the app's launcher and the benchmarks share: glibc's malloc tuned for image-sized arrays.

glibc hands a freed block of more than 32 MB (and, once its heap top holds more than twice the last such
size, smaller ones too) back to the kernel, and a thread other than the main one allocates from an arena
whose heaps hold at most 64 MB.  So the next image-sized array (a 1920×1080 RGBX convolution output is
33 MB, a 12-megapixel one 144 MB) is fresh memory, faulted in page by page, which is slow in a VM:
measured here, two 33 MB tensors alive at once took 34 ms to allocate and fill against 3.5 ms for two of
25 MB, and a 3×3 conv on a 12-megapixel RGB image 105–115 ms against 29–41 ms once freed memory is
reused (in a page's script thread, as Streamlit runs it).

:data:`MALLOC_TUNABLES` keeps such blocks for reuse: one arena for every thread, blocks up to 256 MB from
the heap, and free memory at the heap's top kept up to 512 MB.  glibc reads them from ``GLIBC_TUNABLES``
when a process starts, so :func:`reexec_with_malloc_tunables` restarts the current program with them
(``scripts/serve.py`` and the benchmarks of the kernels and the feature maps call it first).  ``CNNVIZ_MALLOC_TUNE=0``
turns it off; on other C libraries the variable is simply ignored.
"""

from __future__ import annotations

import os
import sys

MALLOC_TUNABLES = {
    "glibc.malloc.arena_max": str(1),
    "glibc.malloc.mmap_threshold": str(256 << 20),
    "glibc.malloc.trim_threshold": str(512 << 20),
}
_MARK = "CNNVIZ_MALLOC_TUNED"        # set in the restarted process, so it never restarts twice


def tuned_environ(environ: dict[str, str] | None = None) -> dict[str, str] | None:
    """``environ`` (default: this process's) with :data:`MALLOC_TUNABLES` added to ``GLIBC_TUNABLES``
    (tunables already there win), or None when there is nothing to do: turned off, not Linux, or done."""
    env = dict(os.environ if environ is None else environ)
    if env.get("CNNVIZ_MALLOC_TUNE", "1").strip() == "0" or not sys.platform.startswith("linux") or env.get(_MARK):
        return None
    have = dict(item.split("=", 1) for item in env.get("GLIBC_TUNABLES", "").split(":") if "=" in item)
    merged = {**MALLOC_TUNABLES, **have}
    env["GLIBC_TUNABLES"] = ":".join(f"{k}={v}" for k, v in merged.items())
    env[_MARK] = "1"
    return env


def malloc_tuned() -> bool:
    """Whether this process started with :data:`MALLOC_TUNABLES` (through :func:`reexec_with_malloc_tunables`)."""
    return bool(os.environ.get(_MARK))


def reexec_with_malloc_tunables(argv: list[str] | None = None) -> None:
    """Restart this Python program with :data:`MALLOC_TUNABLES` in effect (``os.execve``, same PID);
    returns at once when that is already so or turned off.  Call it before starting threads or work."""
    env = tuned_environ()
    if env is None:
        return
    args = [sys.executable, *(sys.argv if argv is None else argv)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, args, env)


def release_free_memory() -> bool:
    """Hand memory that is free inside the C heap back to the system (glibc's ``malloc_trim(0)``, which also
    releases whole free pages inside the heap, not only at its top); False where there is no glibc.

    :data:`MALLOC_TUNABLES` keep up to 512 MB of freed memory for the next image, so after a session ends
    its memory would stay counted to the server; ``ui.compat.collect_garbage`` calls this after collecting
    the ended sessions."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
    return True
