"""Training a designed network or a user's dataset (TrainConfig.spec, data.load_dataset("user:NAME"))."""

EN: dict[str, str] = {
    "train.error.spec": "the designed network cannot be trained: {reason}",
    "acc.basis": "Test accuracy {acc:.1%} on {n:,} test images: one standard error is about ±{se:.1f} points.",
}

ZH: dict[str, str] = {
    "train.error.spec": "这个自己设计的网络无法训练：{reason}",
    "acc.basis": "测试准确率 {acc:.1%}，基于 {n:,} 张测试图像：一个标准误差约为 ±{se:.1f} 个百分点。",
}
