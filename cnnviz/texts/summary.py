"""Texts of :func:`cnnviz.summary.size_table` (the size, receptive-field and parameter table of the home page)."""

EN = {
    "summary.size.linear": "fully connected: output = number of units ({units})",
    "summary.size.concat": "channels added: {parts} = {n}",
    "summary.size.add": "size unchanged (x + F(x), same shapes)",
    "summary.size.unchanged": "size unchanged",
    "summary.size.other": "output {shape}",
    "summary.params.conv": "{out}·({cin}·{kh}·{kw}) = {n:,} (no bias)",
    "summary.params.linear": "{cin}·{out} = {n:,} (no bias)",
    "summary.params.batch_norm": "2·{c} = {n:,} (γ and β)",
}

ZH = {
    "summary.size.linear": "全连接层：输出 = 单元个数（{units}）",
    "summary.size.concat": "通道数相加：{parts} = {n}",
    "summary.size.add": "尺寸不变（x + F(x)，形状相同）",
    "summary.size.unchanged": "尺寸不变",
    "summary.size.other": "输出 {shape}",
    "summary.params.conv": "{out}·({cin}·{kh}·{kw}) = {n:,}（无偏置）",
    "summary.params.linear": "{cin}·{out} = {n:,}（无偏置）",
    "summary.params.batch_norm": "2·{c} = {n:,}（γ 和 β）",
}
