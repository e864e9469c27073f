"""Texts of model export and weight import on the pages (:mod:`ui.model_io`)."""

EN = {
    "modelio.onnx": "⬇ ONNX (for Netron and ONNX Runtime)",
    "modelio.state_dict": "⬇ PyTorch state_dict (.pt)",
    "modelio.netron": "Open the .onnx file in Netron (netron.app) to see every layer, or run it with ONNX Runtime. "
                      "Its input \"{input}\" is a batch of 1×28×28 images normalized as here (pixel/255, minus "
                      "the mean, divided by the std); its output \"{output}\" holds one score per class. The .pt "
                      "file loads with torch.load(path, weights_only=True) into the same architecture.",
    "modelio.target": "Weights for",
    "modelio.target_designed": "the designed network",
    "modelio.upload": "Upload weights (.safetensors, .pt or .pth)",
    "modelio.upload_help": "A state_dict saved with torch.save(model.state_dict(), path), or a safetensors "
                           "file; at most {limit} MiB. Pickled code is never run.",
    "modelio.col_name": "name",
    "modelio.col_expected": "expected",
    "modelio.col_got": "got",
    "modelio.imported": "Loaded {name}: {params:,} parameters checked (keys, shapes, types, finite values).",
    "modelio.by_order": "The layer names in the file differ from cnnviz's, so the tensors were matched by their "
                        "order and shapes (as when a tutorial's script names its layers conv1, fc…).",
}

ZH = {
    "modelio.onnx": "⬇ ONNX（用于 Netron 和 ONNX Runtime）",
    "modelio.state_dict": "⬇ PyTorch 权重 state_dict（.pt）",
    "modelio.netron": "用 Netron（netron.app）打开 .onnx 文件可以查看每一层，也可以用 ONNX Runtime 运行它。"
                      "它的输入 \"{input}\" 是一批 1×28×28 的图像，归一化方式与这里相同（像素值/255，减去均值，"
                      "再除以标准差）；输出 \"{output}\" 是每个类别的得分。.pt 文件可以用 "
                      "torch.load(path, weights_only=True) 加载到相同的架构中。",
    "modelio.target": "权重对应的网络",
    "modelio.target_designed": "设计的网络",
    "modelio.upload": "上传权重（.safetensors、.pt 或 .pth）",
    "modelio.upload_help": "用 torch.save(model.state_dict(), path) 保存的 state_dict，或 safetensors 文件；"
                           "最大 {limit} MiB。文件中的 pickle 代码永远不会被执行。",
    "modelio.col_name": "名称",
    "modelio.col_expected": "期望",
    "modelio.col_got": "实际",
    "modelio.imported": "已加载 {name}：检查了 {params:,} 个参数（键、形状、类型、是否为有限值）。",
    "modelio.by_order": "文件中的层名称与 cnnviz 的不同，因此按顺序和形状对应了各个张量"
                        "（例如教程脚本把层命名为 conv1、fc…… 的情况）。",
}
