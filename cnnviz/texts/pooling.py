"""Messages of :mod:`cnnviz.pooling`: its errors (``pool.err.*``)."""

EN = {
    "pool.err.kind": "Unknown pooling {kind!r}; choose max or avg.",
    "pool.err.window": "Window size {value} is not allowed: it must be at least 1.",
    "pool.err.stride": "Stride {value} is not allowed: the stride is how far the window moves at each step, so it "
                       "must be at least 1 (stride 0 would never move).",
    "pool.err.padding": "Padding {value} is not allowed: it must be 0 or more.",
    "pool.err.padding_half": "Padding {p} is too large for a {k}×{k} window: PyTorch allows at most half the window "
                             "({half}), otherwise a window could lie entirely in the padding.",
    "pool.err.empty_image": "The image is empty.",
    "pool.err.no_fit": "The {k}×{k} window does not fit in the padded image ({ph}×{pw} = {h}×{w} plus padding {p} "
                       "on each side). Use a smaller window or more padding.",
    "pool.err.shape": "The image must be H×W or H×W×C, not {shape}.",
    "pool.err.grid_2d": "The worked example needs a 2-D grid.",
    # ------------------------------------------------------------------ the pooling page
    "pool.formula_where": "{rounding} *W*: input size, *F*: window, *P*: padding on each side (so 2*P* in all), "
                          "*S*: stride.",
    "pool.round_floor": "⌊ ⌋ rounds down.",
    "pool.round_ceil": "⌈ ⌉ rounds up (ceil_mode).",
    "pool.ceil_dropped": "The − 1 ({which}): rounding up would add a last window starting at {start} of the padded "
                         "input, which is in the right padding (at or past W + P = {limit}), not in the image; "
                         "PyTorch drops it.",
    "pool.dim_width": "width",
    "pool.dim_height": "height",
}

ZH = {
    "pool.err.kind": "未知的池化方式 {kind!r}；请选择 max（最大）或 avg（平均）。",
    "pool.err.window": "窗口大小不能为 {value}：至少为 1。",
    "pool.err.stride": "步幅不能为 {value}：步幅是窗口每一步移动的距离，所以至少为 1（步幅为 0 时窗口永远不会移动）。",
    "pool.err.padding": "填充不能为 {value}：必须大于或等于 0。",
    "pool.err.padding_half": "对 {k}×{k} 的窗口来说，填充 {p} 太大了：PyTorch 最多允许窗口的一半（{half}），"
                             "否则一个窗口可能完全落在填充里。",
    "pool.err.empty_image": "图像是空的。",
    "pool.err.no_fit": "{k}×{k} 的窗口放不进填充后的图像（{ph}×{pw} = {h}×{w}，每边再加 {p} 的填充）。"
                       "请使用更小的窗口或更多的填充。",
    "pool.err.shape": "图像必须是 H×W 或 H×W×C，而不是 {shape}。",
    "pool.err.grid_2d": "计算示例需要一个二维网格。",
    "pool.formula_where": "{rounding}*W*：输入尺寸，*F*：窗口大小，*P*：每一边的填充（所以共 2*P*），*S*：步幅。",
    "pool.round_floor": "⌊ ⌋ 表示向下取整。",
    "pool.round_ceil": "⌈ ⌉ 表示向上取整（ceil_mode）。",
    "pool.ceil_dropped": "其中的 − 1（{which}）：向上取整会多出最后一个窗口，它从填充后输入的第 {start} 个位置开始，"
                         "落在右侧的填充里（≥ W + P = {limit}），而不在图像内，所以 PyTorch 把它丢掉。",
    "pool.dim_width": "宽",
    "pool.dim_height": "高",
}
