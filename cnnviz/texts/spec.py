"""Texts of networks designed by the user (:mod:`cnnviz.spec`): spec errors."""

EN = {
    "spec.error.too_big": "The spec is {size:,} characters long; at most {limit:,} are allowed.",
    "spec.error.not_text": "The spec file is not UTF-8 text.",
    "spec.error.too_deep": "The spec is nested too deeply. A spec is a list of layers, each a flat object of "
                           "settings, such as [{{\"kind\": \"conv\", \"out\": 16, \"kernel\": 5}}].",
    "spec.error.not_finite": "The spec contains {value}; every setting must be an ordinary number.",
    "spec.error.duplicate_setting": "The setting {setting} is given twice in one layer.",
    "spec.error.not_json": "The spec is not valid JSON (line {line}, column {column}).",
    "spec.error.not_list": "A spec must be a list of layers (a JSON array such as [{{\"kind\": \"relu\"}}]), "
                           "not {value}.",
    "spec.error.too_many_layers": "The spec has {count} layers; at most {limit} are allowed.",
    "spec.error.num_classes": "The number of classes must be a whole number from 2 to {limit}, not {value}.",
    "spec.error.layer_not_object": "Layer {layer} is {value}, not an object with a \"kind\" and its settings.",
    "spec.error.no_kind": "Layer {layer} has no \"kind\". Choose one of: {kinds}.",
    "spec.error.unknown_kind": "Layer {layer}: unknown kind {value}. Choose one of: {kinds}.",
    "spec.error.no_settings": "Layer {layer} ({kind}) takes no settings, but it has {setting}.",
    "spec.error.unknown_setting": "Layer {layer} ({kind}): unknown setting {setting}. It takes: {allowed}.",
    "spec.error.missing_setting": "Layer {layer} ({kind}) needs the setting \"{setting}\".",
    "spec.error.not_number": "Layer {layer} ({kind}): {setting} must be a number, not {value}.",
    "spec.error.not_whole": "Layer {layer} ({kind}): {setting} must be a whole number, not {value}.",
    "spec.error.out_of_range": "Layer {layer} ({kind}): {setting} = {value} is outside the allowed range "
                              "{low} to {high}.",
    "spec.error.dropout_p": "Layer {layer} ({kind}): {setting} = {value} must be at least 0 and below 1.",
    "spec.error.needs_map": "Layer {layer} ({kind}) needs a feature map, but its input is already flat "
                            "({features} numbers). Put it before the Flatten.",
    "spec.error.flatten_missing": "Layer {layer} ({kind}) gets a {shape} feature map: a Flatten is missing "
                                  "before it.",
    "spec.error.pool_padding": "Layer {layer} ({kind}): padding {padding} is more than half of the "
                               "{kernel}×{kernel} window (at most {limit}).",
    "spec.error.window_too_big": "Layer {layer} ({kind}): a {window}×{window} window does not fit on a "
                                 "{height}×{width} map (padding {padding}). Use a smaller kernel, more padding, "
                                 "or fewer pooling layers before it.",
    "spec.error.too_many_channels": "Layer {layer} ({kind}) outputs {channels} channels; at most {limit} are "
                                    "allowed.",
    "spec.error.too_many_params": "With layer {layer} ({kind}) the network has {params:,} parameters, more than "
                                  "the limit of {limit:,}. Use fewer channels, or pool before the Flatten.",
    "spec.error.map_too_large": "Layer {layer} ({kind}) makes a {height}×{width} map; at most {limit}×{limit} "
                                "is allowed. Is the padding too large?",
    "spec.error.too_much_compute": "With layer {layer} ({kind}) one image needs {mult_adds:,} multiply-adds, "
                                   "more than the limit of {limit:,}. Use fewer channels or pool earlier.",
    "spec.error.text_unknown_kind": "unknown layer {value}. Choose one of: {kinds}.",
    "spec.error.text_too_many_values": "{kind} takes at most {count} numbers ({settings}).",
    "spec.error.text_bad_token": "cannot read {value}: write numbers such as 16 or 0.5, and settings as "
                                 "name=value (stride=2, pad=1).",
    "spec.error.line": "Line {line}: {reason}",
}

ZH = {
    "spec.error.too_big": "该网络描述长 {size:,} 个字符，最多允许 {limit:,} 个。",
    "spec.error.not_text": "该网络描述文件不是 UTF-8 文本。",
    "spec.error.too_deep": "网络描述嵌套过深。网络描述是一个层的列表，每一层是一个只含设置项的对象，"
                           "例如 [{{\"kind\": \"conv\", \"out\": 16, \"kernel\": 5}}]。",
    "spec.error.not_finite": "网络描述中含有 {value}；每个设置项都必须是普通数字。",
    "spec.error.duplicate_setting": "同一层中设置项 {setting} 出现了两次。",
    "spec.error.not_json": "网络描述不是有效的 JSON（第 {line} 行，第 {column} 列）。",
    "spec.error.not_list": "网络描述必须是一个层的列表（JSON 数组，例如 [{{\"kind\": \"relu\"}}]），"
                           "而不是 {value}。",
    "spec.error.too_many_layers": "网络描述有 {count} 层；最多允许 {limit} 层。",
    "spec.error.num_classes": "类别数必须是 2 到 {limit} 之间的整数，而不是 {value}。",
    "spec.error.layer_not_object": "第 {layer} 层是 {value}，而不是一个含 \"kind\" 及其设置项的对象。",
    "spec.error.no_kind": "第 {layer} 层没有 \"kind\"。请从以下类型中选择：{kinds}。",
    "spec.error.unknown_kind": "第 {layer} 层：未知的类型 {value}。请从以下类型中选择：{kinds}。",
    "spec.error.no_settings": "第 {layer} 层（{kind}）没有设置项，但给出了 {setting}。",
    "spec.error.unknown_setting": "第 {layer} 层（{kind}）：未知的设置项 {setting}。可用的设置项：{allowed}。",
    "spec.error.missing_setting": "第 {layer} 层（{kind}）需要设置项 \"{setting}\"。",
    "spec.error.not_number": "第 {layer} 层（{kind}）：{setting} 必须是数字，而不是 {value}。",
    "spec.error.not_whole": "第 {layer} 层（{kind}）：{setting} 必须是整数，而不是 {value}。",
    "spec.error.out_of_range": "第 {layer} 层（{kind}）：{setting} = {value} 超出了允许的范围 {low} 到 {high}。",
    "spec.error.dropout_p": "第 {layer} 层（{kind}）：{setting} = {value} 必须不小于 0 且小于 1。",
    "spec.error.needs_map": "第 {layer} 层（{kind}）需要特征图作为输入，但它的输入已经被展平"
                            "（{features} 个数）。请把它放在 Flatten 之前。",
    "spec.error.flatten_missing": "第 {layer} 层（{kind}）收到的是 {shape} 的特征图：它前面缺少一个 "
                                  "Flatten（展平）层。",
    "spec.error.pool_padding": "第 {layer} 层（{kind}）：填充 {padding} 超过了 {kernel}×{kernel} 池化窗口的一半"
                               "（最多 {limit}）。",
    "spec.error.window_too_big": "第 {layer} 层（{kind}）：{window}×{window} 的窗口放不进 {height}×{width} 的特征图"
                                 "（填充 {padding}）。请用更小的卷积核、更多的填充，或在它之前少用几个池化层。",
    "spec.error.too_many_channels": "第 {layer} 层（{kind}）输出 {channels} 个通道；最多允许 {limit} 个。",
    "spec.error.too_many_params": "加上第 {layer} 层（{kind}）后网络共有 {params:,} 个参数，超过了 {limit:,} 的上限。"
                                  "请减少通道数，或在 Flatten 之前先做池化。",
    "spec.error.map_too_large": "第 {layer} 层（{kind}）产生 {height}×{width} 的特征图；最大允许 {limit}×{limit}。"
                                "填充是不是太大了？",
    "spec.error.too_much_compute": "加上第 {layer} 层（{kind}）后，每张图像需要 {mult_adds:,} 次乘加运算，"
                                   "超过了 {limit:,} 的上限。请减少通道数或更早地池化。",
    "spec.error.text_unknown_kind": "未知的层 {value}。请从以下类型中选择：{kinds}。",
    "spec.error.text_too_many_values": "{kind} 最多接受 {count} 个数字（{settings}）。",
    "spec.error.text_bad_token": "无法读取 {value}：数字请写成 16 或 0.5 这样的形式，设置项写成 name=value"
                                 "（例如 stride=2、pad=1）。",
    "spec.error.line": "第 {line} 行：{reason}",
}
