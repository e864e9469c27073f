"""New texts of the home page (pages/home.py): the receptive-field and parameter columns of the LeNet-5
table, weight sharing in numbers, and the basis of the shipped models' accuracies."""

EN = {
    "home.col_rf": "receptive field",
    "home.col_params": "parameters",
    "home.rf_note": "The **receptive field** is the patch of input pixels one value of the layer depends on. "
                    "Each 5×5 convolution widens it by 4 steps of its input's grid, each 2×2 pooling by 1 step, "
                    "after which the step doubles: C1 5, S2 5 + 1 = 6, C3 6 + 4·2 = 14, S4 14 + 1·2 = 16, "
                    "C5 16 + 4·4 = 32. A C5 unit would see 32×32 pixels, more than the 28×28 image, so in "
                    "practice it sees the whole image. After flattening, every unit sees every pixel.",
    "home.params_total": "**{arch}: {total:,} parameters**, against **{other_total:,}** for the {other} "
                         "({ratio:.1f}× more). A convolution uses the same small kernel at every position "
                         "(*weight sharing*), so C1 needs only 6·(1·5·5) + 6 = 156 numbers for 6×28×28 outputs; "
                         "a fully connected layer has a weight for every input–output pair.",
    "home.acc_basis": "Accuracy on the {n:,} embedded test digits: one standard error is about ±{se:.1f} "
                      "percentage points, so smaller differences say little. The source tutorials report theirs "
                      "on the official 10,000-digit test set, which is not comparable.",
}

ZH = {
    "home.col_rf": "感受野",
    "home.col_params": "参数个数",
    "home.rf_note": "**感受野**是该层一个值所依赖的输入像素区域。每个 5×5 卷积使它在输入网格上扩大 4 步，"
                    "每个 2×2 池化扩大 1 步，之后步长加倍：C1 5，S2 5 + 1 = 6，C3 6 + 4·2 = 14，"
                    "S4 14 + 1·2 = 16，C5 16 + 4·4 = 32。C5 的一个单元本应看到 32×32 个像素，比 28×28 的图像还大，"
                    "所以实际上它看到整张图像。展平之后，每个单元都看到所有像素。",
    "home.params_total": "**{arch}：{total:,} 个参数**，而 {other} 有 **{other_total:,}** 个（多 {ratio:.1f} 倍）。"
                         "卷积在每个位置使用同一个小卷积核（*权值共享*），所以 C1 只需 6·(1·5·5) + 6 = 156 个数"
                         "就能得到 6×28×28 个输出；全连接层则为每一对输入和输出都配一个权重。",
    "home.acc_basis": "准确率在 {n:,} 个内置测试数字上计算：一个标准误差约为 ±{se:.1f} 个百分点，"
                      "更小的差异说明不了什么。原始资料报告的是在官方 10,000 个测试数字上的结果，二者不可直接比较。",
}
