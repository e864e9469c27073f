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
only when a process starts, so the launcher puts them in the environment before Python starts:
``scripts/run.sh`` exports the value that ``python -m cnnviz.runtime --print-tunables`` prints.  The
benchmarks of the kernels and the feature maps, which are run by hand, restart themselves once with it
instead (:func:`reexec_with_malloc_tunables`, a documented ``os.execve``).  ``CNNVIZ_MALLOC_TUNE=0`` turns it
off; on other C libraries the variable is simply ignored.  Memory freed when sessions end is handed back
with :func:`release_free_memory`.
"""

from __future__ import annotations

import os
import sys

MALLOC_TUNABLES = {
    "glibc.malloc.arena_max": str(1),
    "glibc.malloc.mmap_threshold": str(256 << 20),
    "glibc.malloc.trim_threshold": str(512 << 20),
}


def _tunables(environ) -> dict[str, str]:
    return dict(item.split("=", 1) for item in environ.get("GLIBC_TUNABLES", "").split(":") if "=" in item)


def tuned_environ(environ: dict[str, str] | None = None) -> dict[str, str] | None:
    """``environ`` (default: this process's) with :data:`MALLOC_TUNABLES` added to ``GLIBC_TUNABLES``
    (tunables already there win), or None when there is nothing to do: turned off, not Linux, or done."""
    env = dict(os.environ if environ is None else environ)
    if env.get("CNNVIZ_MALLOC_TUNE", "1").strip() == "0" or not sys.platform.startswith("linux"):
        return None
    have = _tunables(env)
    if set(MALLOC_TUNABLES) <= set(have):
        return None
    env["GLIBC_TUNABLES"] = ":".join(f"{k}={v}" for k, v in {**MALLOC_TUNABLES, **have}.items())
    return env


def malloc_tuned() -> bool:
    """Whether this process started with :data:`MALLOC_TUNABLES` in ``GLIBC_TUNABLES`` (from the launcher)."""
    return sys.platform.startswith("linux") and set(MALLOC_TUNABLES) <= set(_tunables(os.environ))


def reexec_with_malloc_tunables(argv: list[str] | None = None) -> None:
    """Restart this Python program with :data:`MALLOC_TUNABLES` in effect (``os.execve``, same PID); returns at
    once when that is already so or turned off.  For the benchmarks run by hand only (the app's launcher,
    ``scripts/run.sh``, sets the variable before Python starts).  Call it before starting threads or work."""
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


def main(args: list[str]) -> int:
    """``python -m cnnviz.runtime --print-tunables``: the ``GLIBC_TUNABLES`` value to export before starting
    Python (the current one merged with :data:`MALLOC_TUNABLES`), or nothing when turned off or not Linux."""
    if args != ["--print-tunables"]:
        print("usage: python -m cnnviz.runtime --print-tunables", file=sys.stderr)
        return 2
    env = tuned_environ()
    if env is not None:
        print(env["GLIBC_TUNABLES"])
    elif malloc_tuned():
        print(os.environ["GLIBC_TUNABLES"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
