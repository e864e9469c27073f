"""Texts of the "Design your own" section (:mod:`ui.designer`)."""

EN = {
    "design.example": "Start from an example",
    "design.example_placeholder": "Choose an example…",
    "design.example.lenet5_like": "LeNet-5-like (conv, pool, conv, pool, three linear layers)",
    "design.example.seed001_relu": "Two convolutions with ReLU (compare with the sigmoid one)",
    "design.example.seed001_sigmoid": "Two convolutions with sigmoid (compare with the ReLU one)",
    "design.example.small_resnet": "Small ResNet (BatchNorm, two residual blocks, dropout)",
    "design.upload": "Upload a spec (JSON)",
    "design.editor": "Your network, one layer per line",
    "design.syntax": "One layer per line; numbers in the order shown, or as name=value.\n\n"
                     "- `conv 16 5 pad=2`: convolution, out channels, kernel (stride=, pad=, dilation=)\n"
                     "- `maxpool 2`, `avgpool 3 stride=1 pad=1`: pooling (the stride defaults to the kernel)\n"
                     "- `relu`, `sigmoid`, `tanh`: activation functions\n"
                     "- `batchnorm`, `dropout 0.5`, `flatten`\n"
                     "- `linear 120`: fully connected layer with 120 outputs\n"
                     "- `residual`, `inception`, `dense 3 12` (layers, growth): the registry's blocks\n\n"
                     "A last `linear` to the number of classes is added when it is missing. `#` starts a comment.",
    "design.syntax_short": "Kinds: {kinds}. Input 1×28×28. At most {layers} layers, {params:,} parameters and "
                           "{channels} channels per layer.",
    "design.col_number": "#",
    "design.col_layer": "layer",
    "design.col_type": "type",
    "design.col_shape": "output shape",
    "design.col_params": "parameters",
    "design.added": "added",
    "design.totals": "**{params:,}** parameters in all; {mult_adds:,} multiply-adds per image; "
                     "output {shape} = {classes} classes.",
    "design.download": "Download the spec (JSON)",
}

ZH = {
    "design.example": "从示例开始",
    "design.example_placeholder": "选择一个示例…",
    "design.example.lenet5_like": "类 LeNet-5（卷积、池化、卷积、池化、三个全连接层）",
    "design.example.seed001_relu": "两个卷积层 + ReLU（可与 sigmoid 版本对比）",
    "design.example.seed001_sigmoid": "两个卷积层 + sigmoid（可与 ReLU 版本对比）",
    "design.example.small_resnet": "小型 ResNet（BatchNorm、两个残差块、Dropout）",
    "design.upload": "上传网络描述（JSON）",
    "design.editor": "你的网络，每行一层",
    "design.syntax": "每行写一层；数字按下列顺序书写，或写成 name=value。\n\n"
                     "- `conv 16 5 pad=2`：卷积层，输出通道数、卷积核大小（stride= 步幅、pad= 填充、dilation= 膨胀）\n"
                     "- `maxpool 2`、`avgpool 3 stride=1 pad=1`：池化（步幅默认等于池化窗口大小）\n"
                     "- `relu`、`sigmoid`、`tanh`：激活函数\n"
                     "- `batchnorm`、`dropout 0.5`、`flatten`（展平）\n"
                     "- `linear 120`：有 120 个输出的全连接层\n"
                     "- `residual`、`inception`、`dense 3 12`（层数、增长率）：模型库中的模块\n\n"
                     "如果最后缺少输出为类别数的 `linear` 层，会自动补上。`#` 之后为注释。",
    "design.syntax_short": "可用的层：{kinds}。输入为 1×28×28。最多 {layers} 层、{params:,} 个参数，"
                           "每层最多 {channels} 个通道。",
    "design.col_number": "序号",
    "design.col_layer": "层",
    "design.col_type": "类型",
    "design.col_shape": "输出形状",
    "design.col_params": "参数",
    "design.added": "自动添加",
    "design.totals": "共 **{params:,}** 个参数；每张图像 {mult_adds:,} 次乘加运算；输出 {shape} = {classes} 个类别。",
    "design.download": "下载网络描述（JSON）",
}
