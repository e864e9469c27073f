"""Lecture-hall load: N concurrent sessions draw digits on the feature-map page and wait for the answer.

Each session speaks Streamlit's own websocket protocol (``/_stcore/stream``, ``BackMsg`` and
``ForwardMsg`` protobufs), as the browser does, so 100 sessions fit on a small machine where 100
Chromium tabs would not:

1. connect and ask for the feature-map page (a ``rerun_script`` with the page's URL path), and learn
   the canvas widget's id from the ``bidi_component`` element in the page's deltas;
2. think for a while, then send a new drawing: the canvas widget's JSON value (``{"drawing": {"raw":
   fabric JSON, "data": "data:image/png;base64,..."}}``, what ``streamlit-drawable-canvas`` 0.13 sends
   back), a 280x280 RGBA PNG of a real MNIST test digit, scaled and shifted at random so that no two
   drawings are alike (the page caches analyses per image, and real students do not draw the same pixels);
3. latency = send → ``script_finished``. A round trip is an error when the run fails or is cut short,
   when an exception or error box appears in its deltas, when no prediction arrives, on a disconnect or
   after ``--timeout`` seconds.

``--trainings K`` also opens K sessions on the training page that press **Start** (the form's submit
button) at the same moment and then poll the live view the way the browser does (the fragment's
``auto_rerun``); the report shows what they saw: queue positions, how many jobs ran at once (also
counted as worker processes), and when each finished.

The server's RSS and CPU (its whole process group: training workers included) are sampled from
``/proc`` once a second.  Run with a server of its own (default: ``scripts/serve.py`` on a free port,
via ``tests/browser_support.py``) or against a running one (``--url http://127.0.0.1:PORT``).

    python benchmarks/load.py --sessions 100 --duration 90
    python benchmarks/load.py --sessions 50 --trainings 5 --duration 120 --env CNNVIZ_TRAIN_LIMIT=2000

The numbers are printed, and written as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

CANVAS = 280
FEATURE_PAGE = "feature-maps"
TRAINING_PAGE = "training"
CANVAS_COMPONENT = "drawable_canvas"          # part of the canvas component's name
PREDICTION_RE = re.compile(r"(?:Prediction|预测)[:：]?\s*\**\s*([0-9])")
QUEUE_RE = re.compile(r"(?:position|第)\s*\*\*(\d+)\*\*")
MAX_JOBS_RE = re.compile(r"(?:at most|最多同时训练)\s*(\d+)")
ERROR_FORMATS = {1}                           # Alert.Format.ERROR
FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
STATUS_NAMES = {v: k for k, v in ForwardMsg.ScriptFinishedStatus.items()}


# ----------------------------------------------------------------------------- drawings

class Drawings:
    """Canvas payloads made from real MNIST test digits, each one different."""

    def __init__(self, seed: int = 0) -> None:
        d = np.load(ROOT / "cnnviz" / "data" / "mnist_embedded.npz")
        self.images, self.labels = d["images"], d["labels"].astype(int)
        self.rng = random.Random(seed)

    def make(self, index: int | None = None) -> tuple[str, int]:
        """``(json_value, label)``: the canvas widget's value for one drawing."""
        from PIL import Image

        i = self.rng.randrange(len(self.labels)) if index is None else index
        digit = Image.fromarray(self.images[i])
        size = int(CANVAS * self.rng.uniform(0.8, 1.0))   # students draw big, not always centred
        big = np.asarray(digit.resize((size, size), Image.BILINEAR), dtype=np.uint8)
        big = np.where(big > 100, 255, (big.astype(np.uint16) * 2).clip(0, 255)).astype(np.uint8)  # stroke-like
        x0 = self.rng.randint(0, CANVAS - size)
        y0 = self.rng.randint(0, CANVAS - size)
        rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
        rgba[..., 3] = 255
        for c in range(3):
            rgba[y0:y0 + size, x0:x0 + size, c] = big
        buf = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buf, format="PNG", compress_level=1)
        data_url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
        ys, xs = np.nonzero(big > 128)
        pts = list(zip(xs[:: max(1, len(xs) // 60)] + x0, ys[:: max(1, len(ys) // 60)] + y0))
        path = [["M", int(pts[0][0]), int(pts[0][1])]] + [["L", int(x), int(y)] for x, y in pts[1:]] if pts else []
        raw = {"version": "5.3.0", "background": "#000000",
               "objects": [{"type": "path", "stroke": "#FFFFFF", "strokeWidth": 20, "fill": None,
                            "strokeLineCap": "round", "path": path}]}
        return json.dumps({"drawing": {"raw": raw, "data": data_url}}), int(self.labels[i])


# ----------------------------------------------------------------------------- one session

@dataclass
class RunResult:
    """What one script run sent back."""

    status: str = ""
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    markdown: list[str] = field(default_factory=list)
    alerts: list[tuple[int, str]] = field(default_factory=list)
    elements: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    messages: int = 0
    progress: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY") and not self.errors

    def prediction(self) -> int | None:
        for text in self.markdown:
            m = PREDICTION_RE.search(text)
            if m:
                return int(m.group(1))
        return None


class Session:
    """One browser tab, as seen by the server: a websocket speaking Streamlit's protocol."""

    def __init__(self, url: str, page: str, locale: str = "en-US", timeout: float = 60.0) -> None:
        self.ws_url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.page = page
        self.locale = locale
        self.timeout = timeout
        self.ws = None
        self.page_hash = ""
        self.query_string = ""
        self.elements: list = []            # the last full run's elements (widgets: ids)
        self.auto_rerun: tuple[float, str] | None = None
        self._queue: asyncio.Queue | None = None
        self._reader: asyncio.Task | None = None

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                open_timeout=self.timeout, ping_interval=None, compression=None)
        self._queue = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                msg = ForwardMsg.FromString(data)
                self._queue.put_nowait((msg, len(data)))
        except Exception as exc:  # disconnect: tell the waiting run
            self._queue.put_nowait((exc, 0))
        else:
            self._queue.put_nowait((ConnectionError("the server closed the websocket"), 0))

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader

    def _client_state(self, widgets=(), fragment_id: str = "", auto: bool = False):
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_hash
        cs.page_name = "" if self.page_hash else self.page
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        cs.context_info.locale = self.locale
        cs.context_info.timezone = "UTC"
        cs.context_info.url = f"http://127.0.0.1/{self.page}"
        for wid, kind, value in widgets:
            w = cs.widget_states.widgets.add()
            w.id = wid
            setattr(w, kind, value)
        return msg

    async def run(self, widgets=(), fragment_id: str = "", auto: bool = False) -> RunResult:
        """Send one ``rerun_script`` and collect everything up to ``script_finished``."""
        res = RunResult()
        # drop what arrived in between (heartbeats, a finished status of an earlier run)
        while not self._queue.empty():
            item, _ = self._queue.get_nowait()
            if isinstance(item, Exception):
                res.status, res.errors = "DISCONNECTED", [f"disconnected: {item}"]
                return res
            self._note(item, res)
        res = RunResult()
        elements = []
        if not fragment_id:  # a full run drops the fragments' auto-rerun timers; the run re-arms them
            self.auto_rerun = None
        t0 = time.perf_counter()
        try:
            await self.ws.send(self._client_state(widgets, fragment_id, auto).SerializeToString())
            deadline = t0 + self.timeout
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError
                msg, n = await asyncio.wait_for(self._queue.get(), left)
                if isinstance(msg, Exception):
                    res.status = "DISCONNECTED"
                    res.errors.append(f"disconnected: {msg}")
                    break
                res.bytes += n
                res.messages += 1
                kind = msg.WhichOneof("type")
                if kind == "script_finished":
                    res.status = STATUS_NAMES.get(msg.script_finished, str(msg.script_finished))
                    if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        self.auto_rerun = None   # st.rerun(): a full run follows (and re-arms the timers)
                        continue
                    break
                self._note(msg, res)
                if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    elements.append(msg.delta.new_element)
        except TimeoutError:
            res.status = "TIMEOUT"
            res.errors.append(f"no script_finished within {self.timeout:.0f} s")
        except Exception as exc:
            res.status = "DISCONNECTED"
            res.errors.append(f"{type(exc).__name__}: {exc}")
        res.seconds = time.perf_counter() - t0
        if res.status and res.status not in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY",
                                             "TIMEOUT", "DISCONNECTED"):
            res.errors.append(f"script finished with {res.status}")
        if not fragment_id:
            self.elements = elements
        return res

    def _note(self, msg, res: RunResult) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            for p in msg.new_session.app_pages:
                if p.url_pathname == self.page:
                    self.page_hash = p.page_script_hash
        elif kind == "navigation":
            for p in msg.navigation.app_pages:
                if p.url_pathname == self.page:
                    self.page_hash = p.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto_rerun = (msg.auto_rerun.interval, msg.auto_rerun.fragment_id)
        elif kind == "stop_auto_rerun":
            self.auto_rerun = None
        elif kind == "page_not_found":
            res.errors.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            etype = el.WhichOneof("type")
            res.elements[etype] = res.elements.get(etype, 0) + 1
            if etype == "exception":
                res.errors.append(f"exception: {el.exception.type}: {el.exception.message[:200]}")
            elif etype == "alert":
                res.alerts.append((el.alert.format, el.alert.body))
                if el.alert.format in ERROR_FORMATS:
                    res.errors.append(f"error box: {el.alert.body[:200]}")
            elif etype == "markdown":
                res.markdown.append(el.markdown.body)
            elif etype == "progress":
                res.progress.append(el.progress.text)

    def widget_id(self, etype: str, match=lambda el: True) -> str | None:
        for el in self.elements:
            if el.WhichOneof("type") == etype and match(getattr(el, etype)):
                return getattr(el, etype).id
        return None


# ----------------------------------------------------------------------------- server resources

class GroupSampler:
    """RSS and CPU of the server process(es) and their process groups from ``/proc``, sampled every
    ``interval`` seconds.  With replicas, "server" is the sum over the replica processes."""

    def __init__(self, pid: int | list[int], interval: float = 1.0) -> None:
        self.pids = [pid] if isinstance(pid, int) else list(pid)
        self.pid = self.pids[0]
        self.pgids = {os.getpgid(p) for p in self.pids}
        self.interval = interval
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.tick = os.sysconf("SC_CLK_TCK")
        self.samples: list[dict] = []
        self._task: asyncio.Task | None = None

    def _read(self) -> dict:
        rss_group = rss_server = 0
        ticks: dict[int, int] = {}                 # pid -> utime + stime
        workers = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read().decode(errors="replace")
                fields = stat[stat.rindex(")") + 2:].split()
                if int(fields[2]) not in self.pgids:      # field 5: pgrp
                    continue
                pid = int(entry)
                ticks[pid] = int(fields[11]) + int(fields[12])
                rss = int(fields[21]) * self.page          # rss pages
                if pid not in self.pids:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        if b"cnnviz.worker" in f.read():   # python -m cnnviz.worker
                            workers += 1
            except (OSError, ValueError, IndexError):
                continue
            rss_group += rss
            if pid in self.pids:
                rss_server += rss
        return dict(t=time.monotonic(), rss_group=rss_group, rss_server=rss_server, ticks=ticks, procs=workers)

    def _cpu(self, a: dict, b: dict) -> tuple[float, float]:
        """CPU seconds of the server and of the group between two samples (workers that started in
        between count from 0; those that exited lose their last interval)."""
        server = sum(b["ticks"].get(p, 0) - a["ticks"].get(p, 0) for p in self.pids) / self.tick
        group = sum(t - a["ticks"].get(pid, 0) for pid, t in b["ticks"].items()) / self.tick
        return server, group

    async def _loop(self) -> None:
        while True:
            self.samples.append(self._read())
            await asyncio.sleep(self.interval)

    def rss_now(self) -> int:
        """The servers' RSS in bytes, now."""
        return self._read()["rss_server"]

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        self.samples.append(self._read())
        if self._task:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    def summary(self, t_from: float | None = None) -> dict:
        s = [x for x in self.samples if t_from is None or x["t"] >= t_from] or self.samples
        if len(s) < 2:
            return {}
        span = s[-1]["t"] - s[0]["t"]
        cpu = [(self._cpu(a, b), b["t"] - a["t"]) for a, b in zip(s, s[1:])]
        cpu = [((c[0] / dt, c[1] / dt), dt) for c, dt in cpu if dt > 0]
        server_total = sum(c[0] * dt for c, dt in cpu)
        group_total = sum(c[1] * dt for c, dt in cpu)
        mib = 1 / 2**20
        return dict(
            seconds=round(span, 1),
            server_cpu_s=round(server_total, 2),
            server_cpu_mean_pct=round(100 * server_total / span, 1),
            server_cpu_max_pct=round(100 * max(c[0] for c, _ in cpu), 1),
            group_cpu_mean_pct=round(100 * group_total / span, 1),
            group_cpu_max_pct=round(100 * max(c[1] for c, _ in cpu), 1),
            server_rss_start_mib=round(s[0]["rss_server"] * mib),
            server_rss_max_mib=round(max(x["rss_server"] for x in s) * mib),
            server_rss_end_mib=round(s[-1]["rss_server"] * mib),
            group_rss_max_mib=round(max(x["rss_group"] for x in s) * mib),
            workers_max=max(x["procs"] for x in s),
        )


def pid_listening_on(port: int) -> int | None:
    """The pid of the process listening on 127.0.0.1:``port`` (from /proc/net/tcp and fd links)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(parts[9])
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{entry}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{entry}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        return int(entry)
    return None


# ----------------------------------------------------------------------------- the load

def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)    # drawing round trips inside the window
    loads: list[float] = field(default_factory=list)        # first page loads
    errors: list[str] = field(default_factory=list)
    rounds: int = 0
    correct: int = 0
    bytes: list[int] = field(default_factory=list)
    sessions_connected: int = 0
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (t, latency) of every round trip


async def open_drawing_session(k: int, url: str, stats: Stats, timeout: float) -> tuple[Session, str] | None:
    """Connect, load the feature-map page and find its canvas; ``None`` (and an error noted) on failure."""
    s = Session(url, FEATURE_PAGE, timeout=timeout)
    await s.connect()
    first = await s.run()
    stats.loads.append(first.seconds)
    if not first.ok:
        stats.errors += [f"session {k} load: {e}" for e in first.errors] or [f"session {k} load: {first.status}"]
        await s.close()
        return None
    canvas = s.widget_id("bidi_component", lambda b: CANVAS_COMPONENT in b.component_name)
    if canvas is None:
        stats.errors.append(f"session {k}: no canvas in the feature-map page ({sorted(first.elements)})")
        await s.close()
        return None
    stats.sessions_connected += 1
    return s, canvas


async def draw_once(s: Session, canvas: str, drawings: Drawings) -> tuple[RunResult, int, int | None, list[str]]:
    """Send one new drawing: ``(run, label, prediction, errors)``."""
    value, label = drawings.make()
    r = await s.run([(canvas, "json_value", value)])
    pred = r.prediction()
    errs = list(r.errors)
    if r.ok and pred is None:
        errs.append("no prediction in the result")
    return r, label, pred, errs


def note_round_trip(stats: Stats, k: int, r: RunResult, label: int, pred: int | None, errs: list[str]) -> None:
    stats.rounds += 1
    if errs:
        stats.errors += [f"session {k}: {e}" for e in errs]
    else:
        stats.latencies.append(r.seconds)
        stats.bytes.append(r.bytes)
        stats.correct += int(pred == label)


async def drawing_session(k: int, url: str, drawings: Drawings, stats: Stats, start_at: float, window: tuple,
                          think: float, timeout: float, stop: asyncio.Event) -> None:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    s = None
    try:
        opened = await open_drawing_session(k, url, stats, timeout)
        if opened is None:
            return
        s, canvas = opened
        rng = random.Random(k)
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), think * rng.uniform(0.5, 1.5))
            if stop.is_set():
                break
            t_send = time.monotonic()
            r, label, pred, errs = await draw_once(s, canvas, drawings)
            if window[0] <= t_send and time.monotonic() <= window[1]:
                stats.timeline.append((t_send - window[0], r.seconds))
                note_round_trip(stats, k, r, label, pred, errs)
            if r.status in ("DISCONNECTED",):
                break
    except Exception as exc:
        stats.errors.append(f"session {k}: {type(exc).__name__}: {exc}")
    finally:
        if s is not None:
            await s.close()


async def burst_session(k: int, url: str, drawings: Drawings, stats: Stats, start_at: float, burst: tuple,
                        timeout: float, answered: list, stop: asyncio.Event) -> None:
    """"Everyone draw now": connect during the ramp, draw once at a random moment of the burst
    ``(start, end)``, note when the answer arrived, then stay connected (memory is read) until ``stop``."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    s = None
    try:
        opened = await open_drawing_session(k, url, stats, timeout)
        if opened is None:
            return
        s, canvas = opened
        await asyncio.sleep(max(0.0, random.Random(k).uniform(*burst) - time.monotonic()))
        t_send = time.monotonic()
        r, label, pred, errs = await draw_once(s, canvas, drawings)
        stats.timeline.append((t_send - burst[0], r.seconds))
        note_round_trip(stats, k, r, label, pred, errs)
        answered.append(time.monotonic())
        await stop.wait()
    except Exception as exc:
        stats.errors.append(f"session {k}: {type(exc).__name__}: {exc}")
    finally:
        if s is not None:
            await s.close()


async def warm_up(urls: list[str], drawings: Drawings, timeout: float) -> list[str]:
    """One session per server loads the page and draws once (torch, the model and the page's caches
    are loaded before the sessions are counted), then leaves; returns errors."""
    stats = Stats()
    for i, url in enumerate(urls):
        opened = await open_drawing_session(-1 - i, url, stats, timeout)
        if opened is not None:
            s, canvas = opened
            r, label, pred, errs = await draw_once(s, canvas, drawings)
            stats.errors += errs
            await s.close()
    await asyncio.sleep(1.0)
    return stats.errors


@dataclass
class TrainingLog:
    events: list[tuple[float, int, str]] = field(default_factory=list)   # (t, session, state)
    errors: list[str] = field(default_factory=list)
    finished: dict[int, float] = field(default_factory=dict)
    polls: list[float] = field(default_factory=list)
    max_jobs: int | None = None       # the limit the queued message names


def training_state(r: RunResult) -> str | None:
    """What a training session's run showed: done, queued #N, running or starting."""
    if any(fmt == 4 for fmt, _ in r.alerts):       # SUCCESS: "Finished N epoch(s) ..."
        return "done"
    for _fmt, body in r.alerts:
        m = QUEUE_RE.search(body)
        if m:
            return f"queued #{m.group(1)}"
    if r.progress:
        return "running"
    if any(fmt == 3 for fmt, _ in r.alerts):       # INFO: "Starting a worker process..."
        return "starting"
    return None


async def training_session(k: int, url: str, log: TrainingLog, t0: float, go: asyncio.Event,
                           stop: asyncio.Event, timeout: float) -> None:
    s = Session(url, TRAINING_PAGE, timeout=timeout)
    try:
        await s.connect()
        first = await s.run()
        if not first.ok:
            log.errors += [f"training {k} load: {e}" for e in first.errors] or [f"training {k}: {first.status}"]
            return
        start = s.widget_id("button", lambda b: b.is_form_submitter)
        if start is None:
            log.errors.append(f"training {k}: no Start button")
            return
        await go.wait()
        r = await s.run([(start, "trigger_value", True)])
        if not r.ok:
            log.errors += [f"training {k} start: {e}" for e in r.errors]
            return
        last = training_state(r)
        log.events.append((time.monotonic() - t0, k, last or "?"))
        while not stop.is_set() and s.auto_rerun is not None:
            interval, fragment = s.auto_rerun
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if stop.is_set():
                break
            r = await s.run(fragment_id=fragment, auto=True)
            log.polls.append(r.seconds)
            if r.errors:
                log.errors += [f"training {k}: {e}" for e in r.errors]
                if r.status in ("DISCONNECTED", "TIMEOUT"):
                    break
            for _, body in r.alerts:
                m = MAX_JOBS_RE.search(body)
                if m:
                    log.max_jobs = int(m.group(1))
            state = training_state(r)
            if state and state != last:
                log.events.append((time.monotonic() - t0, k, state))
                last = state
            if s.auto_rerun is None:  # the job ended: the page reran in full and stopped polling
                log.finished[k] = time.monotonic() - t0
                state = training_state(r) or "done"
                if state != last:
                    log.events.append((time.monotonic() - t0, k, state))
                break
    except Exception as exc:
        log.errors.append(f"training {k}: {type(exc).__name__}: {exc}")
    finally:
        await s.close()


async def run_load(url: str, pid: int | list[int] | None, sessions: int, duration: float, think: float,
                   ramp: float, timeout: float, trainings: int = 0, warmup: float = 5.0, seed: int = 0,
                   burst: float = 0.0, warm_urls: list[str] | None = None) -> dict:
    """The load; ``burst > 0``: every session draws once within ``burst`` seconds instead of drawing
    again and again for ``duration`` seconds.  ``warm_urls``: the servers to warm up first (default
    ``url``); the servers' RSS after that is the baseline of the memory per session."""
    drawings = Drawings(seed)
    stats = Stats()
    tlog = TrainingLog()
    stop = asyncio.Event()
    go = asyncio.Event()
    sampler = GroupSampler(pid) if pid else None
    warm_errors = await warm_up(warm_urls or [url], drawings, timeout)
    rss_base = sampler.rss_now() if sampler else None
    if sampler:
        sampler.start()
    client_cpu0 = time.process_time()
    t0 = time.monotonic()
    window = (t0 + ramp + warmup, t0 + ramp + warmup + (burst or duration))
    answered: list[float] = []
    if burst:
        tasks = [asyncio.create_task(burst_session(k, url, drawings, stats, t0 + ramp * k / max(1, sessions),
                                                   window, timeout, answered, stop)) for k in range(sessions)]
    else:
        tasks = [asyncio.create_task(drawing_session(k, url, drawings, stats, t0 + ramp * k / max(1, sessions),
                                                     window, think, timeout, stop)) for k in range(sessions)]
    tasks += [asyncio.create_task(training_session(k, url, tlog, window[0], go, stop, timeout))
              for k in range(trainings)]
    await asyncio.sleep(max(0.0, window[0] - time.monotonic()))
    go.set()            # every training session presses Start now
    await asyncio.sleep(max(0.0, window[1] - time.monotonic()))
    if burst:           # wait for the last answer (or the time-out of the last drawing)
        deadline = window[1] + timeout + 5
        while stats.rounds < stats.sessions_connected and time.monotonic() < deadline \
                and not all(t.done() for t in tasks):
            await asyncio.sleep(0.05)
    rss_loaded = sampler.rss_now() if sampler else None   # every session still connected
    stop.set()
    done, pending = await asyncio.wait(tasks, timeout=timeout + 10)
    for t in pending:
        t.cancel()
    client_cpu = time.process_time() - client_cpu0
    wall = time.monotonic() - t0
    if sampler:
        await sampler.stop()
    lat = stats.latencies
    errors = warm_errors + stats.errors + tlog.errors
    span = (max(answered) - window[0]) if burst and answered else duration
    report = dict(
        url=url, sessions=sessions, connected=stats.sessions_connected, trainings=trainings,
        think_time_s=None if burst else think, window_s=None if burst else duration, ramp_s=ramp, burst_s=burst,
        round_trips=stats.rounds, ok=len(lat), errors=len(errors),
        error_samples=errors[:10],
        throughput_per_s=round(len(lat) / span, 2) if span > 0 else None,
        p50_s=round(pct(lat, 50), 3) if lat else None, p95_s=round(pct(lat, 95), 3) if lat else None,
        p99_s=round(pct(lat, 99), 3) if lat else None, max_s=round(max(lat), 3) if lat else None,
        mean_s=round(statistics.fmean(lat), 3) if lat else None,
        page_load_p50_s=round(pct(stats.loads, 50), 3) if stats.loads else None,
        page_load_p95_s=round(pct(stats.loads, 95), 3) if stats.loads else None,
        correct_predictions=f"{stats.correct}/{len(lat)}",
        kib_per_round_trip=round(statistics.fmean(stats.bytes) / 1024, 1) if stats.bytes else None,
        client_cpu_pct=round(100 * client_cpu / wall, 1),
    )
    if burst:
        report["burst"] = dict(
            answered=len(answered),
            last_answer_after_burst_end_s=round(max(answered) - window[1], 3) if answered else None,
            last_answer_after_burst_start_s=round(max(answered) - window[0], 3) if answered else None)
    if sampler and rss_base is not None and rss_loaded is not None:
        n = max(1, stats.sessions_connected + trainings)   # training sessions hold their runs' charts too
        report["memory"] = dict(
            servers=len(sampler.pids), rss_after_warm_up_mib=round(rss_base / 2**20),
            rss_with_sessions_mib=round(rss_loaded / 2**20),
            rss_per_session_kib=round((rss_loaded - rss_base) / n / 1024, 1))
    if sampler:
        report["server"] = sampler.summary(window[0])
        if lat and not trainings and report["server"]:   # the servers' CPU time over the answers in the window
            report["server"]["cpu_ms_per_drawing"] = round(1000 * report["server"]["server_cpu_s"] / len(lat), 1)
    if trainings:
        report["training"] = dict(
            events=[(round(t, 1), k, s) for t, k, s in sorted(tlog.events)],
            finished={k: round(v, 1) for k, v in sorted(tlog.finished.items())},
            max_queue_position=max((int(s.split("#")[1]) for _, _, s in tlog.events if s.startswith("queued")),
                                   default=0),
            max_running_at_once=max_running(tlog.events), max_jobs_shown=tlog.max_jobs,
            poll_p50_s=round(pct(tlog.polls, 50), 3) if tlog.polls else None,
            poll_p95_s=round(pct(tlog.polls, 95), 3) if tlog.polls else None,
        )
    return report


def max_running(events) -> int:
    state: dict[int, str] = {}
    best = 0
    for _, k, s in sorted(events):
        state[k] = s
        best = max(best, sum(1 for v in state.values() if v == "running"))
    return best


def print_report(r: dict) -> None:
    mode = (f"burst: each draws once within {r['burst_s']:g} s" if r.get("burst_s")
            else f"{r['window_s']:.0f} s window, think {r['think_time_s']} s")
    print(f"\n== {r['sessions']} drawing sessions ({r['connected']} connected), {r['trainings']} trainings, {mode} ==")
    print(f"round trips {r['round_trips']}  ok {r['ok']}  errors {r['errors']}  "
          f"({r['throughput_per_s']}/s, {r['kib_per_round_trip']} KiB each, correct {r['correct_predictions']})")
    print(f"latency  p50 {r['p50_s']} s  p95 {r['p95_s']} s  p99 {r['p99_s']} s  max {r['max_s']} s; "
          f"first page load p50 {r['page_load_p50_s']} s p95 {r['page_load_p95_s']} s")
    if "burst" in r:
        b = r["burst"]
        print(f"burst    {b['answered']} answered; the last answer came {b['last_answer_after_burst_end_s']} s after "
              f"the burst ended ({b['last_answer_after_burst_start_s']} s after it began)")
    for e in r["error_samples"]:
        print("  error:", e)
    if "memory" in r:
        m = r["memory"]
        print(f"memory   {m['servers']} server process(es): RSS {m['rss_after_warm_up_mib']} MiB after warm-up -> "
              f"{m['rss_with_sessions_mib']} MiB with the sessions connected: "
              f"{m['rss_per_session_kib']} KiB per session")
    if "server" in r and r["server"]:
        s = r["server"]
        print(f"server   CPU mean {s['server_cpu_mean_pct']}% max {s['server_cpu_max_pct']}% (100% = one core); "
              f"with workers mean {s['group_cpu_mean_pct']}% max {s['group_cpu_max_pct']}%")
        if "cpu_ms_per_drawing" in s:
            print(f"server   CPU per drawing {s['cpu_ms_per_drawing']} ms ({s['server_cpu_s']} CPU s over "
                  f"{r['ok']} answers)")
        print(f"server   RSS {s['server_rss_start_mib']} -> max {s['server_rss_max_mib']} MiB "
              f"(with workers max {s['group_rss_max_mib']} MiB, workers up to {s['workers_max']})")
    print(f"client   CPU {r['client_cpu_pct']}% (this load process, same machine)")
    if "training" in r:
        t = r["training"]
        print(f"training max queue position {t['max_queue_position']}, max running at once "
              f"{t['max_running_at_once']} (limit shown: {t['max_jobs_shown']}), finished {t['finished']}, "
              f"poll p50 {t['poll_p50_s']} s p95 {t['poll_p95_s']} s")
        for ev in t["events"]:
            print(f"  t={ev[0]:6.1f}s  training {ev[1]}: {ev[2]}")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="a running server (default: start scripts/serve.py on a free port)")
    ap.add_argument("--server-pid", type=int, help="the server's pid (default: found from --url's port)")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--duration", type=float, default=60, help="measurement window in seconds")
    ap.add_argument("--think-time", type=float, default=2.0, help="mean pause between drawings (s)")
    ap.add_argument("--ramp", type=float, default=None, help="seconds over which sessions connect")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds after the ramp before measuring")
    ap.add_argument("--timeout", type=float, default=60.0, help="a round trip slower than this is an error")
    ap.add_argument("--trainings", type=int, default=0, help="training sessions that press Start together")
    ap.add_argument("--burst", type=float, default=0.0, metavar="T",
                    help='"everyone draw now": each session draws once within T seconds (instead of --duration)')
    ap.add_argument("--replicas", type=int, default=0, metavar="N",
                    help="start N replicas behind nginx (scripts/replicas.py) and drive them through nginx")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for a server started here")
    ap.add_argument("--json", help="write the report here")
    args = ap.parse_args(argv)
    if args.duration > 600 or args.sessions > 500 or args.burst > 600 or args.replicas > 64:
        ap.error("keep load runs bounded: --duration/--burst <= 600, --sessions <= 500, --replicas <= 64")
    if args.url and args.replicas:
        ap.error("--url and --replicas exclude each other")
    ramp = args.ramp if args.ramp is not None else min(30.0, 0.2 * args.sessions)

    warm_urls = None
    with contextlib.ExitStack() as stack:
        sys.path.insert(0, str(ROOT / "tests"))
        from browser_support import free_port, start_server

        env = dict(e.split("=", 1) for e in args.env)
        if args.url:
            url = args.url.rstrip("/")
            pid = args.server_pid or pid_listening_on(int(url.rsplit(":", 1)[1].split("/")[0]))
        elif args.replicas:
            sys.path.insert(0, str(ROOT / "scripts"))
            from replicas import serve_replicas

            layout = stack.enter_context(serve_replicas(
                args.replicas, port=free_port(), host="127.0.0.1", ports=[free_port() for _ in range(args.replicas)],
                env=env, install=False))
            url, pid = layout.url, layout.replica_pids()
            warm_urls = [r.url for r in layout.replicas]
            print(f"{args.replicas} replicas behind nginx at {url} (pids {pid}), env {env}")
        else:
            server = stack.enter_context(start_server(env=env))
            url, pid = server.url, server.pid
            print(f"server {url} (pid {pid}), env {env}")
        report = asyncio.run(run_load(url, pid, args.sessions, args.duration, args.think_time, ramp,
                                      args.timeout, args.trainings, args.warmup, burst=args.burst,
                                      warm_urls=warm_urls))
        report["replicas"] = args.replicas or 1
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
