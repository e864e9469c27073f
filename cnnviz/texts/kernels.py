"""Messages of :mod:`cnnviz.kernels` and its figures: errors (``kern.err.*``) and hover labels (``kfig.*``).

Hover templates hold plotly's own placeholders as arguments (``y="%{y}"``), so each language can order
the words its own way.
"""

EN = {
    # ------------------------------------------------------------------ errors of cnnviz.kernels
    "kern.err.unknown_preset": "Unknown kernel preset {key!r}; choose one of {choices}.",
    "kern.err.grid": "The kernel must be a grid of numbers.",
    "kern.err.grid_2d": "The kernel must be a 2-D grid of numbers.",
    "kern.err.size": "The kernel is {h}×{w}; use one of {sizes}.",
    "kern.err.too_large": "The kernel is {h}×{w}; at most {max}×{max} is allowed.",
    "kern.err.cell_empty": "The kernel cell at row {row}, column {col} is empty. Enter a number.",
    "kern.err.cell_not_number": "The kernel cell at row {row}, column {col} is not a number.",
    "kern.err.cell_text": "The kernel cell at row {row}, column {col} ({value!r}) is not a number.",
    "kern.err.cell_nan": "The kernel cell at row {row}, column {col} is empty or not a number (NaN). Enter a number.",
    "kern.err.cell_inf": "The kernel cell at row {row}, column {col} is infinite. Enter a finite number.",
    "kern.err.cell_range": "The kernel cell at row {row}, column {col} is {value:g}; weights must lie between "
                           "−{max:g} and {max:g}.",
    "kern.err.image_shape": "The image must be H×W or H×W×3, not {shape}.",
    "kern.err.color": "Unknown colour mode {color!r}; use one of {choices}.",
    "kern.err.stride": "Stride {value} is not allowed: the stride is how far the kernel moves at each step, so it "
                       "must be at least 1 (stride 0 would never move).",
    "kern.err.dilation": "Dilation {value} is not allowed: it must be at least 1 (1 = no gaps).",
    "kern.err.padding": "Padding {value} is not allowed: it must be 0 or more.",
    "kern.err.padding_mode": "Unknown padding mode {mode!r}; choose one of {choices}.",
    "kern.err.empty_image": "The image is empty.",
    "kern.err.reflect": "Reflect padding of {p} needs an image larger than {p} pixels in both directions (this "
                        "one is {h}×{w}); use less padding or another mode.",
    "kern.err.circular": "Circular padding of {p} cannot wrap a {h}×{w} image more than once; use less padding.",
    "kern.err.no_fit": "The {kh}×{kw} kernel does not fit in the padded image ({ph}×{pw} = {h}×{w} plus padding "
                       "{p} on each side). Add padding or use a larger image.",
    "kern.err.no_fit_dilated": "The {kh}×{kw} kernel (spanning {sh}×{sw} pixels with dilation {d}) does not fit "
                               "in the padded image ({ph}×{pw} = {h}×{w} plus padding {p} on each side). Add "
                               "padding, reduce the dilation or use a larger image.",
    "kern.err.scaling": "Unknown scaling {scaling!r}; choose one of {choices}.",
    "kern.err.empty_output": "The output is empty.",
    "kern.err.outside": "Output pixel ({row}, {col}) is outside the {oh}×{ow} output.",
    "kern.err.channel": "Channel {channel} does not exist (the input has {n}).",
    "kern.err.no_pick": "No output pixel to pick.",
    "kern.err.no_conv": "This model has no convolution layer (an MLP looks at all pixels at once), so it has no "
                        "kernels to apply. Choose a CNN.",
    "kern.err.in_channels": "Layer {layer} expects {n} input channels; only grayscale models are supported.",
    "kern.err.combine": "Unknown combination {combine!r}.",
    "kern.err.magnitude": "The gradient magnitude needs exactly two kernels (x and y).",
    "kern.err.bias": "The bias must be a finite number between −{max:g} and {max:g}, not {value}.",
    # ------------------------------------------------------------------ the kernels page
    "color.conv3": "Conv2d with 3 input channels (R + G + B + bias)",
    "kern.bias": "Bias b",
    "kern.bias_help": "A Conv2d layer adds one bias per output map after summing over its input channels.",
    "kern.conv3_line": "Σ over the 3 input channels + bias: {r:.6g} (R) + {g:.6g} (G) + {b:.6g} (B) + {bias:g} = "
                       "**{value:.6g}**",
    "kern.formula_where": "⌊ ⌋ rounds down. *W*: input size, *F*: kernel size, *P*: padding on each side (so 2*P* "
                          "in all), *S*: stride, *D*: dilation.",
    # ------------------------------------------------------------------ hover labels of the figures
    "kfig.hover_cell": "row {y}, col {x}<br>{what} {v}",
    "kfig.hover_weight": "weight {v}",
    "kfig.weight": "weight",
    "kfig.pixel": "pixel",
    "kfig.product": "product",
    "kfig.hover_pool_in": "row {y}, col {x}: {v}",
    "kfig.hover_pool_out": "output row {y}, col {x}: {v}",
}

ZH = {
    "kern.err.unknown_preset": "未知的卷积核预设 {key!r}；请从 {choices} 中选择。",
    "kern.err.grid": "卷积核必须是由数字组成的网格。",
    "kern.err.grid_2d": "卷积核必须是由数字组成的二维网格。",
    "kern.err.size": "卷积核是 {h}×{w}；请使用 {sizes} 之一。",
    "kern.err.too_large": "卷积核是 {h}×{w}；最大只允许 {max}×{max}。",
    "kern.err.cell_empty": "卷积核第 {row} 行、第 {col} 列的格子是空的。请输入一个数。",
    "kern.err.cell_not_number": "卷积核第 {row} 行、第 {col} 列的格子不是数字。",
    "kern.err.cell_text": "卷积核第 {row} 行、第 {col} 列的格子（{value!r}）不是数字。",
    "kern.err.cell_nan": "卷积核第 {row} 行、第 {col} 列的格子是空的或不是数字（NaN）。请输入一个数。",
    "kern.err.cell_inf": "卷积核第 {row} 行、第 {col} 列的格子是无穷大。请输入一个有限的数。",
    "kern.err.cell_range": "卷积核第 {row} 行、第 {col} 列的格子是 {value:g}；权重必须在 −{max:g} 到 {max:g} 之间。",
    "kern.err.image_shape": "图像必须是 H×W 或 H×W×3，而不是 {shape}。",
    "kern.err.color": "未知的颜色模式 {color!r}；请使用 {choices} 之一。",
    "kern.err.stride": "步幅不能为 {value}：步幅是卷积核每一步移动的距离，所以至少为 1"
                       "（步幅为 0 时卷积核永远不会移动）。",
    "kern.err.dilation": "膨胀率不能为 {value}：至少为 1（1 表示没有间隔）。",
    "kern.err.padding": "填充不能为 {value}：必须大于或等于 0。",
    "kern.err.padding_mode": "未知的填充方式 {mode!r}；请从 {choices} 中选择。",
    "kern.err.empty_image": "图像是空的。",
    "kern.err.reflect": "{p} 像素的 reflect（镜像）填充要求图像的宽和高都大于 {p} 像素（这张图是 {h}×{w}）；"
                        "请减少填充或换一种填充方式。",
    "kern.err.circular": "{p} 像素的 circular（循环）填充无法把 {h}×{w} 的图像绕一圈以上；请减少填充。",
    "kern.err.no_fit": "{kh}×{kw} 的卷积核放不进填充后的图像（{ph}×{pw} = {h}×{w}，每边再加 {p} 的填充）。"
                       "请增加填充或使用更大的图像。",
    "kern.err.no_fit_dilated": "{kh}×{kw} 的卷积核（膨胀率为 {d} 时覆盖 {sh}×{sw} 个像素）放不进填充后的图像"
                               "（{ph}×{pw} = {h}×{w}，每边再加 {p} 的填充）。请增加填充、减小膨胀率或使用更大的图像。",
    "kern.err.scaling": "未知的显示方式 {scaling!r}；请从 {choices} 中选择。",
    "kern.err.empty_output": "输出是空的。",
    "kern.err.outside": "输出像素 ({row}, {col}) 不在 {oh}×{ow} 的输出范围内。",
    "kern.err.channel": "通道 {channel} 不存在（输入只有 {n} 个通道）。",
    "kern.err.no_pick": "没有可选的输出像素。",
    "kern.err.no_conv": "这个模型没有卷积层（多层感知机一次看所有像素），所以没有可以应用的卷积核。请选择一个 CNN。",
    "kern.err.in_channels": "层 {layer} 需要 {n} 个输入通道；这里只支持灰度输入的模型。",
    "kern.err.combine": "未知的组合方式 {combine!r}。",
    "kern.err.magnitude": "梯度幅值正好需要两个卷积核（x 和 y）。",
    "kern.err.bias": "偏置必须是 −{max:g} 到 {max:g} 之间的有限数，而不是 {value}。",
    "color.conv3": "3 个输入通道的 Conv2d（R + G + B + 偏置）",
    "kern.bias": "偏置 b",
    "kern.bias_help": "Conv2d 层把各输入通道的结果相加之后，再给每张输出特征图加上一个偏置。",
    "kern.conv3_line": "对 3 个输入通道求和再加偏置：{r:.6g}（R）+ {g:.6g}（G）+ {b:.6g}（B）+ {bias:g} "
                       "= **{value:.6g}**",
    "kern.formula_where": "⌊ ⌋ 表示向下取整。*W*：输入尺寸，*F*：卷积核大小，*P*：每一边的填充（所以共 2*P*），"
                          "*S*：步幅，*D*：膨胀率。",
    "kfig.hover_cell": "第 {y} 行，第 {x} 列<br>{what} {v}",
    "kfig.hover_weight": "权重 {v}",
    "kfig.weight": "权重",
    "kfig.pixel": "像素",
    "kfig.product": "乘积",
    "kfig.hover_pool_in": "第 {y} 行，第 {x} 列：{v}",
    "kfig.hover_pool_out": "输出第 {y} 行，第 {x} 列：{v}",
}
