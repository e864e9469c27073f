"""A test-only page for ui.designer and ui.model_io (the integrator places them on the real pages)."""

import streamlit as st

from cnnviz import checkpoints, models
from ui.designer import design_section
from ui.model_io import export_buttons, import_section

num_classes = int(st.query_params.get("classes", "10"))
spec = design_section(num_classes)
st.session_state["test_spec"] = spec
if spec is not None:
    export_buttons(models.from_spec(spec, num_classes), "designed net")
shipped, _ = checkpoints.load_checkpoint(checkpoints.shipped_path("lenet5"))
export_buttons(shipped, "lenet5", key="shipped")
imported = import_section(spec, num_classes)
st.session_state["test_imported"] = None if imported is None else type(imported).__name__
