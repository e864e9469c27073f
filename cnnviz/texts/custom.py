"""Training a designed network or a user's dataset (TrainConfig.spec, data.load_dataset("user:NAME"))."""

EN: dict[str, str] = {
    "train.error.spec": "the designed network cannot be trained: {reason}",
}

ZH: dict[str, str] = {
    "train.error.spec": "这个自己设计的网络无法训练：{reason}",
}
