"""Texts of the drill-down "How this number was computed" (:mod:`cnnviz.explain`, ``ui/explain_view.py``)
and of the translation-invariance experiment (:mod:`cnnviz.invariance`)."""

EN = {
    # ------------------------------------------------------------------ library terms and errors
    "explain.term.conv_channel": "input channel {channel}: window · kernel",
    "explain.term.rest_channels": "the other {n} channels, summed",
    "explain.term.rest_terms": "the other {n} terms, summed",
    "explain.term.window_cell": "input at row {row}, col {col}",
    "explain.term.window_share": "input at row {row}, col {col}, ÷ {divisor}",
    "explain.term.bn_scaled": "(x − mean) / √(var + ε) · γ",
    "explain.term.linear": "w[{j}] · x[{j}] = {w:.4f} × {x:.4f}",
    "explain.term.flatten": "{layer} at (channel, row, col) = ({pos})",
    "explain.term.concat": "{layer}, channel {channel}",
    "explain.term.shortcut": "shortcut x (from {layer})",
    "explain.term.block": "block F(x) (from {layer})",
    "explain.term.relu_input": "x: {layer} at the same place",
    "explain.term.same": "{layer} at the same place",
    "explain.term.logit": "logit of class {cls}, z[{cls}]",
    "explain.note.bn_modes": "In evaluation mode (as here) batch norm uses the running mean and variance learned "
                             "during training, so the result for one digit does not depend on the others. In "
                             "training mode it uses the mean and variance of the current batch instead.",
    "explain.note.why_relu": "Why ReLU: without it, stacked convolutions and fully connected layers are one "
                             "linear map, and depth would add nothing. ReLU's max(0, x) bends the map.",
    "explain.note.cross_entropy": "This digit's label is {label}: the cross-entropy loss is −log p({label}) = "
                                  "−log {p:.4f} = {loss:.4f}.",
    "explain.error.unknown_layer": "There is no layer called “{layer}” in this network.",
    "explain.error.bad_index": "Position {index} is outside layer {layer} (size {shape}).",
    "explain.error.unsupported": "Layer {layer} is a {kind}; cnnviz cannot yet show how its numbers are computed.",
    # ------------------------------------------------------------------ the panel (ui/explain_view.py)
    "explain.title": "How this number was computed",
    "explain.cell": "Layer **{layer}** ({module}) at position ({pos})",
    "explain.cell_softmax": "Probability of class **{cls}** (softmax of the logits)",
    "explain.value": "value in the network",
    "explain.total": "recomputed from the terms",
    "explain.agree": "The terms add up to the network's own value (difference {diff:.1e}).",
    "explain.disagree": "The terms differ from the network's value by {diff:.2e}.",
    "explain.col_term": "term",
    "explain.col_value": "value",
    "explain.bias": "bias b",
    "explain.bias_beta": "shift β",
    "explain.rf": "Receptive field: input rows {top}–{bottom}, columns {left}–{right} ({h}×{w} pixels), "
                  "outlined in the input.",
    "explain.rf_none": "After flattening, every unit can depend on every input pixel: there is no local "
                       "receptive field.",
    "explain.rf_title": "Receptive field on the input",
    "explain.window": "window of {layer}",
    "explain.kernel": "kernel slice",
    "explain.conv.formula": "Convolution: the output channel's kernel has one {kh}×{kw} slice per input "
                            "channel, {cin} in all. Each slice is multiplied with the window of the layer "
                            "before, element by element, and summed (a dot product); the channel results are "
                            "added, then the bias: out = Σ_c window_c · kernel_c + b.",
    "explain.conv.geometry": "Stride {stride}, padding {padding} (zeros, grey in the window), dilation {dilation}.",
    "explain.conv.channel": "Input channel {channel}: Σ window · kernel = {dot:.4f}",
    "explain.conv.rest": "The other {n} channels contribute less, {total:.4f} together: {items}",
    "explain.relu.formula": "ReLU: max(0, x) with x = {x:.4f} taken from the layer before at the same place.",
    "explain.relu.before_after": "before ReLU: {x:.4f} → after ReLU: {y:.4f}",
    "explain.max_pool.formula": "Max pooling: the largest value in the {kh}×{kw} window of the layer before "
                                "(marked ★).",
    "explain.avg_pool.formula": "Average pooling: the sum of the {kh}×{kw} window of the layer before divided by "
                                "{divisor} = {total:.4f}.",
    "explain.batch_norm.formula": "Batch norm: (x − mean) / √(var + ε) · γ + β",
    "explain.add.formula": "Residual addition: the shortcut x and the block's output F(x) at the same place "
                           "are added: x + F(x).",
    "explain.concat.formula": "Concatenation: channel {channel} of this layer is channel {source_channel} of "
                              "{source} (input {part} of {parts}; channels {channels}).",
    "explain.flatten.formula": "Flatten: (c, h, w) = ({c}, {h}, {w}) goes to index c·H·W + h·W + w = "
                               "{c}·{H}·{W} + {h}·{W} + {w} = {n}; C·H·W = {C}·{H}·{W} = {N}.",
    "explain.linear.formula": "Fully connected: out = W·x + b = Σ_j w[j]·x[j] + b over {n} inputs; the largest "
                              "terms are listed, the rest summed.",
    "explain.identity.formula": "This layer passes its input on unchanged.",
    "explain.softmax.formula": "Softmax turns the logits z into probabilities: p_i = e^(z_i) / Σ_j e^(z_j). "
                               "It is a soft version of argmax: the largest logit gets most of the probability, "
                               "but every class keeps some.",
    "explain.softmax.filled": "p_{cls} = e^({z:.3f} − {shift:.3f}) / Σ_j e^(z_j − {shift:.3f}) = {num:.4g} / "
                              "{den:.5g} = {p:.4g}. Subtracting the largest logit ({shift:.3f}) from every "
                              "exponent keeps the numbers small and does not change the ratio.",
    "explain.no_terms": "No terms.",
    "explain.input_title": "input (28×28)",
    # ------------------------------------------------------------------ translation invariance
    "inv.title": "Translation invariance: shift the digit",
    "inv.shift": "Shift (pixels)",
    "inv.intro": "The digit is moved by {shift} pixel(s) right, left, down and up. For each layer, the bars show "
                 "how much its maps changed, as the relative L2 change ‖a(shifted) − a‖ / ‖a‖, averaged over the "
                 "four directions.",
    "inv.why": "A convolution moves its maps with the digit: a shifted input gives shifted maps, which differ "
               "from the old ones almost everywhere. Pooling keeps only the largest (or the mean) value of each "
               "window, so a feature that moves inside a window still gives the same output: a pooled layer "
               "changes less than the layer it pools, and the deeper layers, after more pooling, change least. "
               "(ReLU layers can change more than the layer before them: a shift turns some units on or off.)",
    "inv.col_layer": "layer",
    "inv.col_change": "relative change",
    "inv.pooled": "pooling",
}

ZH = {
    "explain.term.conv_channel": "输入通道 {channel}：窗口 · 卷积核",
    "explain.term.rest_channels": "其余 {n} 个通道之和",
    "explain.term.rest_terms": "其余 {n} 项之和",
    "explain.term.window_cell": "输入第 {row} 行、第 {col} 列",
    "explain.term.window_share": "输入第 {row} 行、第 {col} 列，÷ {divisor}",
    "explain.term.bn_scaled": "(x − 均值) / √(方差 + ε) · γ",
    "explain.term.linear": "权重 w[{j}] · 输入 x[{j}] = {w:.4f} × {x:.4f}",
    "explain.term.flatten": "{layer} 的 (通道, 行, 列) = ({pos})",
    "explain.term.concat": "{layer} 的第 {channel} 个通道",
    "explain.term.shortcut": "捷径 x（来自 {layer}）",
    "explain.term.block": "残差块 F(x)（来自 {layer}）",
    "explain.term.relu_input": "x：{layer} 同一位置的值",
    "explain.term.same": "{layer} 同一位置的值",
    "explain.term.logit": "类别 {cls} 的 logit z[{cls}]",
    "explain.note.bn_modes": "在评估模式下（如此处），批归一化使用训练时累积的滑动均值和方差，"
                             "因此一个数字的结果不受其他样本影响；在训练模式下，它改用当前这一批数据的均值和方差。",
    "explain.note.why_relu": "为什么需要 ReLU：没有激活函数，堆叠的卷积层和全连接层合起来只是一个线性映射，"
                             "加深网络毫无作用。ReLU 的 max(0, x) 引入了非线性。",
    "explain.note.cross_entropy": "这个数字的标签是 {label}：交叉熵损失为 "
                                  "−log p({label}) = −log {p:.4f} = {loss:.4f}。",
    "explain.error.unknown_layer": "这个网络中没有名为“{layer}”的层。",
    "explain.error.bad_index": "位置 {index} 超出了层 {layer} 的范围（尺寸 {shape}）。",
    "explain.error.unsupported": "层 {layer} 是 {kind}；cnnviz 暂时还不能展示它的数值是怎样算出来的。",
    "explain.title": "这个数是怎样算出来的",
    "explain.cell": "层 **{layer}**（{module}）的位置 ({pos})",
    "explain.cell_softmax": "类别 **{cls}** 的概率（对 logits 做 softmax）",
    "explain.value": "网络中的值",
    "explain.total": "由各项重新算出",
    "explain.agree": "各项之和等于网络自己的输出（相差 {diff:.1e}）。",
    "explain.disagree": "各项之和与网络的输出相差 {diff:.2e}。",
    "explain.col_term": "项",
    "explain.col_value": "数值",
    "explain.bias": "偏置 b",
    "explain.bias_beta": "平移 β",
    "explain.rf": "感受野：输入的第 {top}–{bottom} 行、第 {left}–{right} 列（{h}×{w} 像素），已在输入图中框出。",
    "explain.rf_none": "展平之后，每个单元都可能依赖输入的每一个像素：不再有局部的感受野。",
    "explain.rf_title": "输入上的感受野",
    "explain.window": "{layer} 中的窗口",
    "explain.kernel": "卷积核切片",
    "explain.conv.formula": "卷积：这个输出通道的卷积核对每个输入通道各有一个 {kh}×{kw} 的切片（共 {cin} 个通道）。"
                            "每个切片与上一层对应的窗口逐元素相乘再求和（点积）；各通道的结果相加，再加上偏置："
                            "out = Σ_c 窗口_c · 卷积核_c + b。",
    "explain.conv.geometry": "步幅（步长）{stride}，填充 {padding}（补零，窗口中显示为灰色），膨胀 {dilation}。",
    "explain.conv.channel": "输入通道 {channel}：Σ 窗口 · 卷积核 = {dot:.4f}",
    "explain.conv.rest": "其余 {n} 个通道贡献较小，合计 {total:.4f}：{items}",
    "explain.relu.formula": "ReLU：max(0, x)，x = {x:.4f} 取自上一层的同一位置。",
    "explain.relu.before_after": "ReLU 之前：{x:.4f} → ReLU 之后：{y:.4f}",
    "explain.max_pool.formula": "最大池化：取上一层 {kh}×{kw} 窗口中的最大值（标有 ★）。",
    "explain.avg_pool.formula": "平均池化：上一层 {kh}×{kw} 窗口中各值之和除以 {divisor} = {total:.4f}。",
    "explain.batch_norm.formula": "批归一化：(x − 均值) / √(方差 + ε) · γ + β",
    "explain.add.formula": "残差相加：把捷径 x 与残差块的输出 F(x) 在同一位置相加：x + F(x)。",
    "explain.concat.formula": "拼接：这一层的第 {channel} 个通道就是 {source} 的第 {source_channel} 个通道"
                              "（{parts} 个输入中的第 {part} 个；各输入通道数 {channels}）。",
    "explain.flatten.formula": "展平：(c, h, w) = ({c}, {h}, {w}) 变成下标 c·H·W + h·W + w = "
                               "{c}·{H}·{W} + {h}·{W} + {w} = {n}；C·H·W = {C}·{H}·{W} = {N}。",
    "explain.linear.formula": "全连接层：out = W·x + b = Σ_j w[j]·x[j] + b，共 {n} 个输入；列出最大的几项，其余求和。",
    "explain.identity.formula": "这一层把输入原样传下去。",
    "explain.softmax.formula": "Softmax 把 logits z 变成概率：p_i = e^(z_i) / Σ_j e^(z_j)。它是 argmax 的“软”版本："
                               "最大的 logit 得到大部分概率，但每个类别都保留一些。",
    "explain.softmax.filled": "p_{cls} = e^({z:.3f} − {shift:.3f}) / Σ_j e^(z_j − {shift:.3f}) = {num:.4g} / "
                              "{den:.5g} = {p:.4g}。每个指数都减去最大的 logit（{shift:.3f}），"
                              "数值不会过大，比值也不变。",
    "explain.no_terms": "没有可列出的项。",
    "explain.input_title": "输入（28×28）",
    "inv.title": "平移不变性：移动数字",
    "inv.shift": "平移（像素）",
    "inv.intro": "把数字向右、左、下、上各移动 {shift} 个像素。每一层的柱子表示它的特征图变化了多少，"
                 "即相对 L2 变化 ‖a(平移后) − a‖ / ‖a‖，取四个方向的平均。",
    "inv.why": "卷积的特征图随数字一起移动：输入平移了，特征图也跟着平移，几乎处处与原来不同。"
               "池化只保留每个窗口中的最大值（或平均值），特征在窗口内移动时输出不变：所以池化层比它所池化的那一层变化更小，"
               "经过多次池化的深层变化最小，网络对输入的微小平移更不敏感。"
               "（ReLU 层的变化可能比上一层更大：平移会让一些单元被置零，或重新变为正值。）",
    "inv.col_layer": "层",
    "inv.col_change": "相对变化",
    "inv.pooled": "池化",
}
