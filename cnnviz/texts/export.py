"""Texts of model export (:mod:`cnnviz.export`)."""

EN = {
    "export.error.onnx": "This model could not be exported to ONNX ({detail}).",
}

ZH = {
    "export.error.onnx": "无法将该模型导出为 ONNX（{detail}）。",
}
