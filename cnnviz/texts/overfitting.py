"""Training page: overfitting (the gap between training and test accuracy, the demo setting, dropout) and the
numbers behind batch, epoch and step."""

EN = {
    "train.error.dropout": "the dropout probability must be at least 0 and below 1, not {value}",
    "train.dropout": "Dropout",
    "train.dropout_help": "While training, every step switches off this share of the inputs of the fully "
                          "connected layers at random (0.5: half of them), so the network cannot rely on any "
                          "single feature and memorizes the training digits less. It is off (0) when the model "
                          "predicts, and off for the shipped checkpoints. Try 0.5 with the overfitting demo.",
    "train.batch_help": "Digits per step: the network sees a batch, computes the mean loss over it and updates "
                        "its weights once. {n_train:,} training digits / batch {batch} = {steps:,} steps per "
                        "epoch.",
    "train.epochs_help": "One epoch = one pass over all {n_train:,} training digits = {steps:,} steps of batch "
                         "{batch}. {epochs} epochs = {total:,} steps.",
    "train.steps_caption": "**{n_train:,} digits / batch {batch} = {steps:,} steps per epoch**; × {epochs} "
                           "epochs = **{total:,} steps** (weight updates).",
    "train.run_steps": "{n_train:,} digits / batch {batch} = {steps:,} steps per epoch; × {epochs} epochs = "
                       "{total:,} steps.",
    "train.overfit_demo": "🔬 Show overfitting",
    "train.overfit_demo_help": "Fill the form with a setting that overfits: {limit} training digits, {epochs} "
                               "epochs, no augmentation, no dropout.",
    "train.overfit_demo_note": "The form now holds the overfitting demo: **{limit} training digits, {epochs} "
                               "epochs, no augmentation, no dropout**. Press Start and watch the training accuracy "
                               "climb to about 100 % while the test accuracy stays well below: the gap is "
                               "overfitting. Then run it again with dropout 0.5 or augmentation and compare.",
    "train.gap_caption": "Epoch {epoch}: training accuracy **{train:.1%}**, test accuracy **{test:.1%}**: a gap of "
                         "**{gap:.1f} percentage points**.",
    "train.gap_overfit": "The network does much better on the digits it trained on than on new ones: it is "
                         "**overfitting**, memorizing its training digits instead of learning what makes a digit. "
                         "More training data, augmentation or dropout narrow the gap.",
    "train.gap_ok": "Training and test accuracy are close: what the network learned carries over to digits it has "
                    "never seen.",
    "fig.gap": "gap {gap:.1f} pp",
    "col.dropout": "dropout",
    "train.run_head_dropout": " · dropout {p:g}",
}

ZH = {
    "train.error.dropout": "Dropout 概率必须不小于 0 且小于 1，而不是 {value}",
    "train.dropout": "Dropout（随机失活）",
    "train.dropout_help": "训练时，每一步都随机关闭全连接层这一比例的输入（0.5：一半），使网络不能依赖某个单独的"
                          "特征，从而更少地死记训练数字。模型做预测时它是关闭的（0），内置的检查点也未使用它。"
                          "可以在过拟合演示中试试 0.5。",
    "train.batch_help": "每一步的数字个数：网络看一个批次，计算其平均损失，并更新一次权重。"
                        "{n_train:,} 个训练数字 / 批大小 {batch} = 每轮 {steps:,} 步。",
    "train.epochs_help": "一轮 = 把全部 {n_train:,} 个训练数字过一遍 = 批大小为 {batch} 的 {steps:,} 步。"
                         "{epochs} 轮 = {total:,} 步。",
    "train.steps_caption": "**{n_train:,} 个数字 / 批大小 {batch} = 每轮 {steps:,} 步**；× {epochs} 轮 = "
                           "**{total:,} 步**（权重更新次数）。",
    "train.run_steps": "{n_train:,} 个数字 / 批大小 {batch} = 每轮 {steps:,} 步；× {epochs} 轮 = {total:,} 步。",
    "train.overfit_demo": "🔬 演示过拟合",
    "train.overfit_demo_help": "用一个会过拟合的设置填写表单：{limit} 个训练数字、{epochs} 轮、不做数据增强、"
                               "不用 Dropout。",
    "train.overfit_demo_note": "表单现在是过拟合演示：**{limit} 个训练数字、{epochs} 轮、不做数据增强、不用 "
                               "Dropout**。点击开始，观察训练准确率升到约 100 %，而测试准确率明显更低：这个差距"
                               "就是过拟合。然后用 Dropout 0.5 或数据增强再训练一次，比较结果。",
    "train.gap_caption": "第 {epoch} 轮：训练准确率 **{train:.1%}**，测试准确率 **{test:.1%}**：相差 "
                         "**{gap:.1f} 个百分点**。",
    "train.gap_overfit": "网络在训练过的数字上远比在新数字上表现好：它在**过拟合**，死记训练数字，而不是学到"
                         "数字的本质特征。更多训练数据、数据增强或 Dropout 可以缩小这个差距。",
    "train.gap_ok": "训练准确率和测试准确率很接近：网络学到的东西也适用于它从未见过的数字。",
    "fig.gap": "差距 {gap:.1f} 个百分点",
    "col.dropout": "随机失活（Dropout）",
    "train.run_head_dropout": " · 随机失活（Dropout）{p:g}",
}
