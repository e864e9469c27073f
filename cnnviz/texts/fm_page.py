"""Texts of the feature-map page's newer sections: choosing the cell to explain, the accuracy's basis, and the
downloads."""

EN: dict[str, str] = {
    "fmx.header": "Open any number",
    "fmx.choose": "Click a value above (a pixel of a feature map, a bar of a vector layer or a class "
                  "probability), or choose it here.",
    "fmx.layer": "Layer",
    "fmx.softmax": "Softmax · class probabilities",
    "fmx.channel": "Channel",
    "fmx.row": "Row",
    "fmx.col": "Column",
    "fmx.unit": "Unit",
    "fmx.class": "Class",
    "fmx.open": "Show how this number was computed",
    "fmx.run_invariance": "Experiment: shift the digit by a few pixels",
    "fm.acc_basis": "{name}: test accuracy {acc:.1%} on the {n:,} embedded test digits (one standard error "
                    "≈ ±{se:.1f} percentage points).",
    "fm.acc_basis_other": "{name}: test accuracy {acc:.1%} on {n:,} test images (one standard error ≈ ±{se:.1f} "
                          "percentage points).",
    "fm.export_header": "Download this model (ONNX, PyTorch state_dict)",
}

ZH: dict[str, str] = {
    "fmx.header": "打开任意一个数",
    "fmx.choose": "点击上面的一个值（特征图中的一个像素、向量层的一根柱子或一个类别概率），或者在这里选择。",
    "fmx.layer": "层",
    "fmx.softmax": "softmax · 类别概率",
    "fmx.channel": "通道",
    "fmx.row": "行",
    "fmx.col": "列",
    "fmx.unit": "单元",
    "fmx.class": "类别",
    "fmx.open": "显示这个数是怎样算出来的",
    "fmx.run_invariance": "实验：把数字平移几个像素",
    "fm.acc_basis": "{name}：在 {n:,} 个内置测试数字上的测试准确率为 {acc:.1%}（一个标准误差约为 ±{se:.1f} 个百分点）。",
    "fm.acc_basis_other": "{name}：在 {n:,} 张测试图像上的测试准确率为 {acc:.1%}（一个标准误差约为 ±{se:.1f} 个百分点）。",
    "fm.export_header": "下载这个模型（ONNX、PyTorch state_dict）",
}
