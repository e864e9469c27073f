"""`.streamlit/config.toml` as Streamlit itself reads it: the settings the app's speed and safety rely on
(benchmarks/LOAD_RESULTS.md, README "Security and limits") are the ones in force."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit import config
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.forward_msg_cache import populate_hash_if_needed

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_config():
    """Streamlit's options parsed from the repository's config file, as `streamlit run` in the root does."""
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        config.get_config_options(force_reparse=True)
        yield config
    finally:
        os.chdir(old)
        config.get_config_options(force_reparse=True)


def test_the_settings_the_app_relies_on_are_in_force(app_config):
    assert app_config.get_option("server.fileWatcherType") == "none"
    assert app_config.get_option("runner.postScriptGC") is False          # ~0.3 s of GIL per rerun under load
    assert app_config.get_option("client.toolbarMode") == "viewer"        # no developer menu for students
    assert app_config.get_option("server.enableXsrfProtection") is True
    assert app_config.get_option("server.maxUploadSize") == 20


def test_unchanged_elements_of_half_a_kilobyte_go_as_references(app_config):
    """An element of 500 bytes or more is marked cacheable: sent again unchanged in a later run (the hover
    script, ~9 kB; the canvas; the learned filters), it goes as a reference to the browser's copy."""
    def element(size: int) -> ForwardMsg:
        msg = ForwardMsg()
        msg.delta.new_element.markdown.body = "x" * size
        populate_hash_if_needed(msg)
        return msg

    assert element(600).metadata.cacheable
    assert not element(100).metadata.cacheable
    assert element(600).hash == element(600).hash != element(601).hash
