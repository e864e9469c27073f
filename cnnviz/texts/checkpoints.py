"""Messages of :mod:`cnnviz.checkpoints` (loading, validation and listing)."""

EN = {
    "ckpt.error.cannot_load": "Cannot load {source}: {reason}",
    "ckpt.error.cannot_read": "Cannot read {source}: {reason}",
    "ckpt.error.os": "the file cannot be read ({error})",
    "ckpt.error.empty": "the file is empty or truncated",
    "ckpt.error.truncated": "the file is truncated or not a safetensors file",
    "ckpt.error.header_too_big": "its header declares {size:,} bytes, over the {limit:,} byte limit "
                                 "(the file is truncated or not a safetensors file)",
    "ckpt.error.corrupt": "the file is corrupt or not a safetensors file",
    "ckpt.error.corrupt_weights": "the file is corrupt or truncated (its weights cannot be read)",
    "ckpt.error.too_big": "it is {mib:.1f} MiB, over the {limit} MiB limit",
    "ckpt.error.no_metadata": "it has no cnnviz metadata (is it a cnnviz checkpoint?)",
    "ckpt.error.metadata_unreadable": "its metadata is unreadable (not the JSON text a cnnviz checkpoint holds)",
    "ckpt.error.unknown_arch": "it is for an unknown architecture “{arch}”",
    "ckpt.error.bad_norm": "its normalization {field} {value} is invalid (it must be a finite number, "
                           "and std above 0)",
    "ckpt.error.test_acc": "its recorded test accuracy {value} is not between 0 and 1",
    "ckpt.error.bad_field": "its metadata field “{field}” has a wrong type or value",
    "ckpt.error.class_total": "it lists {n} class names; a model needs 2 to {limit}",
    "ckpt.error.bad_spec": "its designed network cannot be built: {reason}",
    "ckpt.error.class_name": "class name number {index} is not a short plain text (1 to {limit} characters, "
                             "no control characters and none of < > & [ ] $ ` \\)",
    "ckpt.error.missing_weights": "its weights do not match the {arch} architecture (missing {keys})",
    "ckpt.error.extra_weights": "its weights do not match the {arch} architecture (unexpected {keys})",
    "ckpt.error.shape": "its weights do not match the {arch} architecture ({weight}: shape {shape}, "
                        "expected {expected})",
    "ckpt.error.dtype": "{weight} has dtype {dtype}, expected {expected}",
    "ckpt.error.nonfinite": "{weight} contains NaN or infinite values",
    "ckpt.skipped": "{n} checkpoint file(s) in the folder cannot be used and are not offered: {names}",
}

ZH = {
    "ckpt.error.cannot_load": "无法加载 {source}：{reason}",
    "ckpt.error.cannot_read": "无法读取 {source}：{reason}",
    "ckpt.error.os": "无法读取这个文件（{error}）",
    "ckpt.error.empty": "文件是空的或不完整",
    "ckpt.error.truncated": "文件不完整，或者不是 safetensors 文件",
    "ckpt.error.header_too_big": "它的文件头声明了 {size:,} 字节，超过了 {limit:,} 字节的上限"
                                "（文件不完整，或者不是 safetensors 文件）",
    "ckpt.error.corrupt": "文件已损坏，或者不是 safetensors 文件",
    "ckpt.error.corrupt_weights": "文件已损坏或不完整（无法读取其中的权重）",
    "ckpt.error.too_big": "文件大小为 {mib:.1f} MiB，超过了 {limit} MiB 的上限",
    "ckpt.error.no_metadata": "它没有 cnnviz 元数据（这是 cnnviz 的检查点吗？）",
    "ckpt.error.metadata_unreadable": "无法读取它的元数据（不是 cnnviz 检查点中的 JSON 文本）",
    "ckpt.error.unknown_arch": "它对应一个未知的网络结构“{arch}”",
    "ckpt.error.bad_norm": "它的归一化参数 {field} = {value} 无效（必须是有限的数，且 std 大于 0）",
    "ckpt.error.test_acc": "它记录的测试准确率 {value} 不在 0 到 1 之间",
    "ckpt.error.bad_field": "它的元数据字段“{field}”类型或取值有误",
    "ckpt.error.class_total": "它列出了 {n} 个类别名称；一个模型需要 2 到 {limit} 个类别",
    "ckpt.error.bad_spec": "其中自己设计的网络无法构建：{reason}",
    "ckpt.error.class_name": "第 {index} 个类别名称不是简短的纯文本"
                             "（1 到 {limit} 个字符，不含控制字符，也不含 < > & [ ] $ ` \\）",
    "ckpt.error.missing_weights": "它的权重与 {arch} 网络结构不符（缺少 {keys}）",
    "ckpt.error.extra_weights": "它的权重与 {arch} 网络结构不符（多出 {keys}）",
    "ckpt.error.shape": "它的权重与 {arch} 网络结构不符（{weight}：形状为 {shape}，应为 {expected}）",
    "ckpt.error.dtype": "{weight} 的数据类型是 {dtype}，应为 {expected}",
    "ckpt.error.nonfinite": "{weight} 含有 NaN 或无穷大的值",
    "ckpt.skipped": "文件夹中有 {n} 个检查点文件无法使用，未列出：{names}",
}
