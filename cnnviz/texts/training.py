"""Texts of the training library (cnnviz.training, cnnviz.jobs, cnnviz.worker, cnnviz.data, cnnviz.train):
stop and failure reasons, settings errors, data notes, dataset and class names, saving."""

EN = {
    # ---------------------------------------------------------------- how a run ended
    "train.reason.done": "finished {epochs} epoch(s)",
    "train.reason.stopped_by_user": "stopped by the user at step {step}",
    "train.reason.session_ended": "stopped because its browser session ended",
    "train.reason.cancelled": "stopped before it started",
    "train.reason.diverged": "training diverged at step {step} (loss = {loss}); the learning rate {lr} is probably "
                             "too high. The model keeps the last weights that gave a sane loss",
    "train.reason.error": "training failed: {error}",
    "train.reason.crashed": "the training process crashed ({exit}), possibly out of memory; the charts so far "
                            "are kept",
    "train.reason.ended_early": "the training process ended before returning the weights ({exit}); the charts "
                                "so far are kept",
    "train.reason.no_stop": "the training process did not stop within {seconds} s and was ended",
    "train.reason.no_worker": "could not start a worker process ({error})",
    "train.reason.unreadable": "the training process sent a message that could not be read ({error})",
    "train.exit.signal": "it was killed by signal {signal}",
    "train.exit.code": "it exited with code {code}",
    "train.exit.none": "it did not exit",
    "train.no_steps": "no training step ran, so there are no trained weights to save",
    # ---------------------------------------------------------------- settings
    "train.error.arch": "unknown architecture {value}; choose one of {choices}",
    "train.error.optimizer": "the optimizer must be one of {choices}, not {value}",
    "train.error.lr_number": "the learning rate must be a number, not {value}",
    "train.error.lr_range": "the learning rate must be a finite number greater than 0, not {value}",
    "train.error.batch": "the batch size must be a whole number from {lo} to {hi}, not {value}",
    "train.error.epochs": "the number of epochs must be a whole number from {lo} to {hi}, not {value}",
    "train.error.momentum": "the momentum must be at least 0 and below 1, not {value}",
    "train.error.logging": "log_every must be at least 1 and eval_every at least 0",
    "train.error.seed": "the seed must be a whole number from 0 to {hi}, not {value}",
    "train.error.device": "the device must be cpu, cuda or cuda:N with a GPU present, not {value}",
    "train.error.too_many_runs": "you already have {count} run(s) queued or training; this server allows {limit} "
                                 "per person. Wait for one to finish or stop one",
    # ---------------------------------------------------------------- saving
    "train.save.nothing": "there are no trained weights to save ({why})",
    "train.save.no_weights": "the run returned no weights",
    "train.save.bad_name": "{name} is not a usable checkpoint name (use letters, digits, dots, dashes or "
                           "underscores)",
    "train.save.exists": "a checkpoint named {name} already exists; choose another name",
    "train.save.not_yours": "a checkpoint named {name} already exists and was saved by someone else; choose "
                            "another name",
    "train.save.failed_os": "the file could not be written ({error})",
    # ---------------------------------------------------------------- data
    "data.note.embedded": "Embedded MNIST: 10,000 real digits (8,000 train / 2,000 test).",
    "data.note.mnist_fallback": "Full MNIST is not available ({why}); using the embedded 10,000 MNIST digits "
                                "instead.",
    "data.note.from_folder": "{dataset} from {folder}.",
    "data.error.files_missing": "the {dataset} files are not in {folder}",
    "data.error.offline": "{dataset}: no download mirror is reachable (offline?)",
    "data.error.download_failed": "{dataset}: the download failed ({error})",
    "data.error.fashion_missing": "Fashion-MNIST is not installed on this server. An administrator can install "
                                  "it with `apt-get install dataset-fashion-mnist` (into "
                                  "/usr/share/datasets/fashion-mnist), or put its four IDX files in {folder}",
    "data.error.unknown": "unknown dataset {name}; choose one of {choices}",
    "data.fashion.0": "T-shirt/top",
    "data.fashion.1": "Trouser",
    "data.fashion.2": "Pullover",
    "data.fashion.3": "Dress",
    "data.fashion.4": "Coat",
    "data.fashion.5": "Sandal",
    "data.fashion.6": "Shirt",
    "data.fashion.7": "Sneaker",
    "data.fashion.8": "Bag",
    "data.fashion.9": "Ankle boot",
    # ---------------------------------------------------------------- the page
    "train.too_many_runs_hint": "Each person may have {limit} runs queued or training at once.",
    "train.saved_as": "Saved as **{name}**. It is now listed on the feature-map and kernels pages.",
    "train.overwrite_help": "Replace a checkpoint of the same name that you saved earlier (never someone "
                            "else's).",
}

ZH = {
    "train.reason.done": "已完成 {epochs} 轮",
    "train.reason.stopped_by_user": "用户在第 {step} 步停止了训练",
    "train.reason.session_ended": "浏览器会话已结束，训练随之停止",
    "train.reason.cancelled": "在开始之前就被停止了",
    "train.reason.diverged": "训练在第 {step} 步发散（损失 = {loss}）；学习率 {lr} 可能太大了。模型保留了最后一组"
                             "损失正常的权重",
    "train.reason.error": "训练失败：{error}",
    "train.reason.crashed": "训练进程崩溃了（{exit}），可能是内存不足；目前的图表已保留",
    "train.reason.ended_early": "训练进程在返回权重之前就结束了（{exit}）；目前的图表已保留",
    "train.reason.no_stop": "训练进程在 {seconds} 秒内没有停止，已被强制结束",
    "train.reason.no_worker": "无法启动工作进程（{error}）",
    "train.reason.unreadable": "训练进程发来的消息无法读取（{error}）",
    "train.exit.signal": "它被信号 {signal} 终止",
    "train.exit.code": "它以退出码 {code} 结束",
    "train.exit.none": "它没有退出",
    "train.no_steps": "一步训练都没有进行，因此没有可保存的训练权重",
    "train.error.arch": "未知的网络结构 {value}；请从以下选项中选择：{choices}",
    "train.error.optimizer": "优化器必须是 {choices} 之一，而不是 {value}",
    "train.error.lr_number": "学习率必须是一个数，而不是 {value}",
    "train.error.lr_range": "学习率必须是大于 0 的有限数，而不是 {value}",
    "train.error.batch": "批大小必须是 {lo} 到 {hi} 之间的整数，而不是 {value}",
    "train.error.epochs": "训练轮数必须是 {lo} 到 {hi} 之间的整数，而不是 {value}",
    "train.error.momentum": "动量必须不小于 0 且小于 1，而不是 {value}",
    "train.error.logging": "log_every 必须至少为 1，eval_every 必须至少为 0",
    "train.error.seed": "随机种子必须是 0 到 {hi} 之间的整数，而不是 {value}",
    "train.error.device": "设备必须是 cpu、cuda 或 cuda:N（且有可用的 GPU），而不是 {value}",
    "train.error.too_many_runs": "你已经有 {count} 个训练任务在排队或训练中；此服务器每人最多允许 {limit} 个。"
                                 "请等待其中一个结束，或停止一个",
    "train.save.nothing": "没有可保存的训练权重（{why}）",
    "train.save.no_weights": "训练任务没有返回权重",
    "train.save.bad_name": "{name} 不能用作检查点名称（请使用字母、数字、点、短横线或下划线）",
    "train.save.exists": "已经有一个名为 {name} 的检查点；请换一个名称",
    "train.save.not_yours": "已经有一个名为 {name} 的检查点，而且是别人保存的；请换一个名称",
    "train.save.failed_os": "无法写入文件（{error}）",
    "data.note.embedded": "内置 MNIST：10,000 个真实手写数字（训练 8,000 / 测试 2,000）。",
    "data.note.mnist_fallback": "完整的 MNIST 不可用（{why}）；改用内置的 10,000 个 MNIST 数字。",
    "data.note.from_folder": "{dataset}，来自 {folder}。",
    "data.error.files_missing": "{folder} 中没有 {dataset} 的文件",
    "data.error.offline": "{dataset}：无法连接任何下载镜像（是否离线？）",
    "data.error.download_failed": "{dataset}：下载失败（{error}）",
    "data.error.fashion_missing": "此服务器没有安装 Fashion-MNIST。管理员可以用 "
                                  "`apt-get install dataset-fashion-mnist` 安装它（安装到 "
                                  "/usr/share/datasets/fashion-mnist），或者把它的四个 IDX 文件放到 {folder}",
    "data.error.unknown": "未知的数据集 {name}；请从以下选项中选择：{choices}",
    "data.fashion.0": "T 恤/上衣",
    "data.fashion.1": "裤子",
    "data.fashion.2": "套头衫",
    "data.fashion.3": "连衣裙",
    "data.fashion.4": "外套",
    "data.fashion.5": "凉鞋",
    "data.fashion.6": "衬衫",
    "data.fashion.7": "运动鞋",
    "data.fashion.8": "包",
    "data.fashion.9": "短靴",
    "train.too_many_runs_hint": "每人最多可以同时有 {limit} 个训练任务在排队或训练中。",
    "train.saved_as": "已保存为 **{name}**。它现在会出现在特征图页面和卷积核页面上。",
    "train.overwrite_help": "替换你自己之前保存的同名检查点（绝不会替换别人的）。",
}
