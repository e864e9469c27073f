"""Texts of weight import (:mod:`cnnviz.importing`)."""

EN = {
    "import.target_arch": "the {arch} architecture",
    "import.target_spec": "the designed network",
    "import.error.file_type": "{name} is not a weights file cnnviz reads; upload one of: {suffixes}.",
    "import.error.too_big": "{name} is {size_mib} MiB, over the {limit_mib} MiB limit.",
    "import.error.corrupt": "{name} is damaged or truncated, or not the kind of file its name says.",
    "import.error.refused": "{name} was not loaded: besides tensors it holds Python objects, and loading those "
                            "can run code. Save only the weights, with torch.save(model.state_dict(), path) or "
                            "safetensors.",
    "import.error.not_state_dict": "{name} does not hold a state_dict (layer names mapped to tensors).",
    "import.error.mismatch": "These weights do not fit {target}. Missing keys: {missing_keys}. Unexpected keys: "
                             "{unexpected_keys}. Shapes that differ (name: expected → got): {shape_list}.",
    "import.error.dtype": "{name} holds values of type {got}; {expected} is expected.",
    "import.error.not_finite": "{count} weight tensor(s) contain NaN or infinite values: {keys}.",
}

ZH = {
    "import.target_arch": "{arch} 架构",
    "import.target_spec": "设计的网络",
    "import.error.file_type": "{name} 不是 cnnviz 能读取的权重文件；请上传以下格式之一：{suffixes}。",
    "import.error.too_big": "{name} 大小为 {size_mib} MiB，超过了 {limit_mib} MiB 的上限。",
    "import.error.corrupt": "{name} 已损坏或不完整，或者并不是其文件名所表示的文件类型。",
    "import.error.refused": "未加载 {name}：除了张量之外，它还包含 Python 对象，而加载这些对象可能会执行代码。"
                            "请只保存权重，使用 torch.save(model.state_dict(), path) 或 safetensors。",
    "import.error.not_state_dict": "{name} 中没有 state_dict（层名称到张量的映射）。",
    "import.error.mismatch": "这些权重与{target}不匹配。缺少的键：{missing_keys}。多余的键：{unexpected_keys}。"
                             "形状不同的参数（名称：期望 → 实际）：{shape_list}。",
    "import.error.dtype": "{name} 的数值类型是 {got}；期望的是 {expected}。",
    "import.error.not_finite": "有 {count} 个权重张量含有 NaN 或无穷大的值：{keys}。",
}
