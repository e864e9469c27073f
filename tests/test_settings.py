"""The hosting settings (CNNVIZ_*): defaults, every kind of bad value, and the launcher refusing to start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.messages import MessageError
from cnnviz.settings import Settings, SettingsError, read_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults():
    s = read_settings({})
    assert isinstance(s, Settings)
    assert s.max_jobs == max(1, (os.cpu_count() or 1) // 2)
    assert s.user_checkpoints == Path("checkpoints/user") and s.data_root == ROOT / "data"
    assert (s.orphan_timeout, s.worker_nice, s.server_threads, s.train_limit, s.test_limit) == (120.0, 10, 1, 0, 0)
    assert s.prewarm and s.malloc_tune


def test_valid_values_are_read(tmp_path):
    s = read_settings({"CNNVIZ_MAX_JOBS": " 3 ", "CNNVIZ_USER_CHECKPOINTS": str(tmp_path), "CNNVIZ_WORKER_NICE": "19",
                       "CNNVIZ_ORPHAN_TIMEOUT": "2.5", "CNNVIZ_SERVER_THREADS": "2", "CNNVIZ_TRAIN_LIMIT": "500",
                       "CNNVIZ_TEST_LIMIT": "0", "CNNVIZ_PREWARM": "0", "CNNVIZ_MALLOC_TUNE": "0"})
    assert (s.max_jobs, s.user_checkpoints, s.worker_nice, s.orphan_timeout) == (3, tmp_path, 19, 2.5)
    assert (s.server_threads, s.train_limit, s.test_limit, s.prewarm, s.malloc_tune) == (2, 500, 0, False, False)


@pytest.mark.parametrize("name, value, key", [
    ("CNNVIZ_MAX_JOBS", "abc", "settings.error.whole"),
    ("CNNVIZ_MAX_JOBS", "0", "settings.error.whole"),
    ("CNNVIZ_MAX_JOBS", "1.5", "settings.error.whole"),
    ("CNNVIZ_MAX_JOBS", "", "settings.error.empty"),
    ("CNNVIZ_USER_CHECKPOINTS", "", "settings.error.empty"),
    ("CNNVIZ_USER_CHECKPOINTS", "   ", "settings.error.empty"),
    ("CNNVIZ_ORPHAN_TIMEOUT", "soon", "settings.error.seconds"),
    ("CNNVIZ_ORPHAN_TIMEOUT", "0", "settings.error.seconds"),
    ("CNNVIZ_ORPHAN_TIMEOUT", "nan", "settings.error.seconds"),
    ("CNNVIZ_ORPHAN_TIMEOUT", "inf", "settings.error.seconds"),
    ("CNNVIZ_WORKER_NICE", "20", "settings.error.whole_range"),
    ("CNNVIZ_WORKER_NICE", "-1", "settings.error.whole_range"),
    ("CNNVIZ_SERVER_THREADS", "0", "settings.error.whole_range"),
    ("CNNVIZ_SERVER_THREADS", "many", "settings.error.whole_range"),
    ("CNNVIZ_TRAIN_LIMIT", "-5", "settings.error.whole"),
    ("CNNVIZ_TEST_LIMIT", "1e3", "settings.error.whole"),
    ("CNNVIZ_PREWARM", "yes", "settings.error.flag"),
    ("CNNVIZ_MALLOC_TUNE", "off", "settings.error.flag"),
    ("CNNVIZ_MAX_RUNS_PER_OWNER", "0", "settings.error.whole_range"),
    ("CNNVIZ_MAX_RUNS_PER_OWNER", "lots", "settings.error.whole_range"),
    ("CNNVIZ_USER_DATA", "", "settings.error.empty"),
    ("CNNVIZ_TOUR", "/no/such/tour.toml", "settings.error.not_a_file"),
])
def test_bad_values_are_refused_with_a_message(name, value, key):
    with pytest.raises(SettingsError) as exc:
        read_settings({name: value})
    err = exc.value
    assert isinstance(err, MessageError) and err.key == key and err.args_dict["name"] == name
    assert name in str(err)
    zh = err.message.render("zh")
    assert name in zh and ("必须" in zh or "为空" in zh)


def test_a_file_is_not_a_checkpoint_folder(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SettingsError, match="must name a folder"):
        read_settings({"CNNVIZ_USER_CHECKPOINTS": str(f)})


def test_every_problem_is_listed():
    with pytest.raises(SettingsError) as exc:
        read_settings({"CNNVIZ_MAX_JOBS": "abc", "CNNVIZ_USER_CHECKPOINTS": "", "CNNVIZ_WORKER_NICE": "99"})
    assert [p.args["name"] for p in exc.value.problems] == ["CNNVIZ_MAX_JOBS", "CNNVIZ_USER_CHECKPOINTS",
                                                             "CNNVIZ_WORKER_NICE"]
    assert str(exc.value).count("\n") == 2


def test_the_launcher_refuses_to_start_with_exit_code_2():
    env = {**os.environ, "CNNVIZ_MAX_JOBS": "abc", "CNNVIZ_USER_CHECKPOINTS": ""}
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "serve.py"), "--server.port", "1"], env=env,
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "cnnviz cannot start" in r.stderr and "Traceback" not in r.stderr
    assert "CNNVIZ_MAX_JOBS must be a whole number of at least 1, not “abc”" in r.stderr
    assert "CNNVIZ_USER_CHECKPOINTS is set but empty" in r.stderr
