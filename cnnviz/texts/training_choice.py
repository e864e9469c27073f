"""The training page's "Design your own" choice and the user's datasets in its dataset box
(ui/training_choice.py)."""

EN: dict[str, str] = {
    "arch.custom.title": "Your design",
    "train.design_own": "✏️ Design your own",
    "train.design_intro": "Write your network one layer per line. The table below checks it on every edit: each "
                          "layer's output shape and parameters, or the first layer that cannot work. The input is "
                          "1×28×28; the last layer gives one output per class of the chosen dataset.",
    "train.design_defaults": "A design starts with these settings (the defaults below): {optimizer}, learning rate "
                             "{lr:g}, batch size {batch}, {epochs} epochs.",
    "train.design_fix_first": "Fix the network above first: {reason}",
    "train.design_summary": "{acts}, {n} layers",
    "train.design_no_act": "no activation",
    "train.ds_user": "Your data: {name} ({n} classes)",
    "train.ds_user_short": "your data {name}",
    "train.dataset_help": "The built-in digits, or a dataset you made on the \"Your data\" page. The network gets "
                          "one output per class.",
}

ZH: dict[str, str] = {
    "arch.custom.title": "自己设计的网络",
    "train.design_own": "✏️ 自己设计网络",
    "train.design_intro": "每行写一层网络。下表在每次修改后都会检查：每一层的输出形状和参数量，或第一个无法工作的层。"
                          "输入为 1×28×28；最后一层为所选数据集的每个类别给出一个输出。",
    "train.design_defaults": "自己设计的网络默认使用以下设置（见下方）：{optimizer}，学习率 {lr:g}，批大小 {batch}，"
                             "训练 {epochs} 轮。",
    "train.design_fix_first": "请先修正上面的网络：{reason}",
    "train.design_summary": "{acts}，{n} 层",
    "train.design_no_act": "无激活函数",
    "train.ds_user": "你的数据：{name}（{n} 个类别）",
    "train.ds_user_short": "你的数据 {name}",
    "train.dataset_help": "内置的手写数字，或你在“你的数据”页面制作的数据集。网络为每个类别给出一个输出。",
}
