"""Training a designed network or a user's dataset (TrainConfig.spec, data.load_dataset("user:NAME"))."""

EN: dict[str, str] = {
    "train.error.spec": "the designed network cannot be trained: {reason}",
    "train.import_header": "📥 Import weights trained elsewhere",
    "train.import_intro": "A .safetensors file or a PyTorch state_dict (.pt/.pth, read without running any code) for one of the architectures, or for the network designed above. Its keys, shapes, types and values are checked; saved, it opens on every page like a run trained here.",
    "acc.basis": "Test accuracy {acc:.1%} on {n:,} test images: one standard error is about ±{se:.1f} points.",
}

ZH: dict[str, str] = {
    "train.error.spec": "这个自己设计的网络无法训练：{reason}",
    "train.import_header": "📥 导入在别处训练的权重",
    "train.import_intro": "可以上传某个网络结构（或上面自己设计的网络）的 .safetensors 文件或 PyTorch state_dict（.pt/.pth，读取时不会运行任何代码）。系统会检查其中的键、形状、数据类型和数值；保存后，它和在这里训练的模型一样可以在各个页面打开。",
    "acc.basis": "测试准确率 {acc:.1%}，基于 {n:,} 张测试图像：一个标准误差约为 ±{se:.1f} 个百分点。",
}
