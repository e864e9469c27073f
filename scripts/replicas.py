"""Serve cnnviz as N Streamlit processes behind nginx on one port (``bash scripts/run.sh --replicas N``).

One Streamlit process runs every session's page script under one GIL (about 1.1 cores, ~13 drawings/s
with LeNet-5: benchmarks/LOAD_RESULTS.md).  This starts ``N`` replicas (``scripts/serve.py``, default:
one per core) on ``127.0.0.1:8601`` … and Debian's nginx in front of them on one public port:

* sticky sessions: a cookie set by nginx (``cnnviz_affinity``) is hashed to pick the replica, so a
  browser's page, websocket (``/_stcore/stream``), uploads and media all reach the same process;
* websocket pass-through, ``client_max_body_size`` from ``server.maxUploadSize`` in
  ``.streamlit/config.toml``, passive health checks (``max_fails``/``fail_timeout``);
* each replica must answer ``/_stcore/health`` before nginx starts, and nginx must answer through the
  proxy before the URL is printed; a replica that exits is started again;
* nginx runs in the foreground as a child of this script, with a prefix, pid file and temp folders in a
  temporary folder: no system configuration is read or written; as root its workers run as ``nobody``;
* training slots are machine-wide (``cnnviz.slots``): every replica gets the same ``CNNVIZ_SLOTS_DIR``;
* Ctrl-C or SIGTERM stops nginx and every replica (with their training workers).

    python scripts/replicas.py --replicas 2 --port 8501 [--host 0.0.0.0] [--base-port 8601]

Also a library: :func:`serve_replicas` (used by ``benchmarks/load.py --replicas`` and the tests) and
:func:`render_config`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scripts" / "nginx" / "cnnviz.conf.template"
CONFIG_TOML = ROOT / ".streamlit" / "config.toml"
STREAMLIT_DEFAULT_UPLOAD_MB = 200
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
MAX_FAILS, FAIL_TIMEOUT = 3, "10s"
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


# ----------------------------------------------------------------------------- configuration

def upload_limit_mb(config: Path = CONFIG_TOML) -> int:
    """``server.maxUploadSize`` (MiB) from Streamlit's config file (Streamlit's default: 200)."""
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return STREAMLIT_DEFAULT_UPLOAD_MB
    value = data.get("server", {}).get("maxUploadSize", STREAMLIT_DEFAULT_UPLOAD_MB)
    return int(value) if isinstance(value, int | float) and value > 0 else STREAMLIT_DEFAULT_UPLOAD_MB


def _user_line() -> str:
    """As root, nginx's workers switch to ``nobody`` and its primary group (Debian: ``nogroup``)."""
    if os.geteuid() != 0:
        return "# not root: the workers run as this user"
    import grp
    import pwd

    nobody = pwd.getpwnam("nobody")
    return f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"


def render_config(ports: list[int], listen: str, prefix: Path | str, max_body_mb: int | None = None,
                  template: Path = TEMPLATE) -> str:
    """nginx's configuration for replicas on ``127.0.0.1:ports``, listening on ``listen``
    (``host:port``), with its pid file and temp folders under ``prefix``."""
    if not ports:
        raise ValueError("at least one replica")
    max_body = (upload_limit_mb() if max_body_mb is None else max_body_mb) + 1
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT};"
                        for p in ports)
    text = template.read_text(encoding="utf-8")
    for key, value in (("@N@", str(len(ports))), ("@PREFIX@", str(prefix)), ("@USER@", _user_line()),
                       ("@SERVERS@", servers), ("@LISTEN@", listen), ("@MAX_BODY@", f"{max_body}m"),
                       ("@MAX_FAILS@", str(MAX_FAILS)), ("@FAIL_TIMEOUT@", FAIL_TIMEOUT)):
        text = text.replace(key, value)
    return text


# ----------------------------------------------------------------------------- nginx

def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return next((p for p in NGINX_CANDIDATES if os.access(p, os.X_OK)), None)


class NginxMissing(RuntimeError):
    pass


def ensure_nginx(install: bool = True, say: Callable[[str], None] = print) -> str:
    """nginx's path; installs Debian's package with apt-get when it is missing and this runs as root."""
    found = find_nginx()
    if found:
        return found
    how = "install Debian's nginx: sudo apt-get install nginx (or nginx-light), then run this again"
    if not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        raise NginxMissing(f"nginx is not installed; {how}")
    say("nginx is missing: apt-get install nginx ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", "nginx"]
    if subprocess.run(cmd, env=env).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=False)
        subprocess.run(cmd, env=env, check=False)
    found = find_nginx()
    if not found:
        raise NginxMissing(f"apt-get could not install nginx; {how}")
    return found


def _prepare_prefix(prefix: Path) -> None:
    for name in TEMP_DIRS:
        (prefix / name).mkdir(exist_ok=True)
    if os.geteuid() == 0:  # the workers (nobody) write request bodies of uploads into client_body
        import pwd

        nobody = pwd.getpwnam("nobody")
        os.chmod(prefix, 0o755)
        for name in TEMP_DIRS:
            os.chown(prefix / name, nobody.pw_uid, nobody.pw_gid)


def check_config(nginx: str, conf: Path, prefix: Path) -> None:
    """``nginx -t`` on the rendered file; raises ``RuntimeError`` with nginx's words when it is wrong."""
    r = subprocess.run([nginx, "-t", "-q", "-p", str(prefix), "-e", "stderr", "-c", str(conf)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"nginx rejected {conf}: {r.stderr.strip()}")


# ----------------------------------------------------------------------------- processes

def health(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        if health(url):
            return
        time.sleep(0.3)
    raise TimeoutError(f"{what} did not answer {url}/_stcore/health within {timeout:.0f} s")


def stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group (a replica and its training workers), then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


@dataclass
class Replica:
    port: int
    log: Path
    env: dict
    proc: subprocess.Popen | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "scripts" / "serve.py"), "--server.port", str(self.port),
                 "--server.address", "127.0.0.1", "--server.headless", "true",
                 "--browser.gatherUsageStats", "false"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


@dataclass
class Layout:
    """What :func:`serve_replicas` started."""

    url: str                                  # the public address (nginx)
    replicas: list[Replica]
    nginx: subprocess.Popen
    prefix: Path
    conf: Path
    slots_dir: str
    log_dir: Path

    def replica_pids(self) -> list[int]:
        return [r.proc.pid for r in self.replicas if r.proc is not None]

    def watch(self, timeout: float = 180.0, say: Callable[[str], None] = print) -> None:
        """Start again a replica that has exited (nginx routes around it meanwhile); raise when nginx
        has exited."""
        if self.nginx.poll() is not None:
            raise RuntimeError(f"nginx exited with code {self.nginx.returncode}")
        for r in self.replicas:
            if r.proc is not None and r.proc.poll() is not None:
                say(f"replica on port {r.port} exited with code {r.proc.returncode}; starting it again "
                    f"(log: {r.log})")
                stop_group(r.proc, grace=1)
                r.restarts += 1
                r.start()
                with contextlib.suppress(Exception):
                    wait_healthy(r.url, r.proc, timeout, f"replica {r.port}")


def _local_address(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host


@contextlib.contextmanager
def serve_replicas(n: int, port: int = 8501, host: str = "0.0.0.0", ports: list[int] | None = None,
                   base_port: int = 8601, env: dict[str, str] | None = None, log_dir: Path | str | None = None,
                   timeout: float = 180.0, install: bool = True, say: Callable[[str], None] = print):
    """Start ``n`` replicas and nginx on ``host:port``; yields a :class:`Layout`; stops all at the end."""
    if n < 1:
        raise ValueError("--replicas must be at least 1")
    ports = list(ports) if ports else [base_port + i for i in range(n)]
    if len(ports) != n or port in ports:
        raise ValueError("one local port per replica, none equal to the public port")
    nginx = ensure_nginx(install, say)
    tmp = Path(tempfile.mkdtemp(prefix="cnnviz-replicas-"))
    log_dir = Path(log_dir) if log_dir else tmp / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    prefix = tmp / "nginx"
    prefix.mkdir()
    _prepare_prefix(prefix)
    full_env = dict(os.environ)
    full_env.update(env or {})
    if not full_env.get("CNNVIZ_SLOTS_DIR"):
        from cnnviz.slots import default_slots_dir  # one machine, one limit: every replica the same folder

        full_env["CNNVIZ_SLOTS_DIR"] = str(default_slots_dir())
    replicas = [Replica(p, log_dir / f"replica-{p}.log", full_env) for p in ports]
    nginx_proc = None
    try:
        for r in replicas:   # start them all, then wait: they import torch side by side
            r.start()
        for r in replicas:
            wait_healthy(r.url, r.proc, timeout, f"the replica on port {r.port} (log: {r.log})")
        conf = prefix / "nginx.conf"
        conf.write_text(render_config(ports, f"{host}:{port}" if ":" not in host else f"[{host}]:{port}", prefix),
                        encoding="utf-8")
        check_config(nginx, conf, prefix)
        nginx_log = log_dir / "nginx.log"
        with open(nginx_log, "ab") as out:
            nginx_proc = subprocess.Popen([nginx, "-p", str(prefix), "-e", "stderr", "-c", str(conf)],
                                          stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://{_local_address(host)}:{port}"
        wait_healthy(url, nginx_proc, 30, f"nginx (log: {nginx_log})")
        yield Layout(url, replicas, nginx_proc, prefix, conf, full_env["CNNVIZ_SLOTS_DIR"], log_dir)
    finally:
        if nginx_proc is not None:
            stop_group(nginx_proc, grace=5)
        for r in replicas:
            if r.proc is not None:
                stop_group(r.proc)
        shutil.rmtree(prefix, ignore_errors=True)


# ----------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replicas", type=int, nargs="?", default=os.cpu_count() or 1, const=os.cpu_count() or 1,
                    help="Streamlit server processes (default: the number of cores)")
    ap.add_argument("--port", type=int, default=8501, help="the public port (nginx)")
    ap.add_argument("--host", default="0.0.0.0", help="the public address nginx listens on")
    ap.add_argument("--base-port", type=int, default=8601, help="replicas listen on 127.0.0.1:base-port, +1, ...")
    ap.add_argument("--log-dir", help="where the replicas' and nginx's logs go (default: a temporary folder)")
    ap.add_argument("--no-install", action="store_true", help="do not apt-get install nginx when it is missing")
    args = ap.parse_args(argv)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        with serve_replicas(args.replicas, args.port, args.host, base_port=args.base_port,
                            log_dir=args.log_dir, install=not args.no_install) as layout:
            print(f"cnnviz: {args.replicas} replicas (127.0.0.1:{', '.join(str(r.port) for r in layout.replicas)})"
                  f" behind nginx; training slots: {layout.slots_dir}; logs: {layout.log_dir}")
            print(f"  URL: http://{args.host if args.host not in ('0.0.0.0', '::') else 'localhost'}:{args.port}")
            sys.stdout.flush()
            while True:
                time.sleep(2)
                layout.watch()
    except KeyboardInterrupt:
        print("cnnviz: stopped")
        return 0
    except NginxMissing as exc:
        print(f"cnnviz: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
