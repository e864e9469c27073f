"""Messages of training on a Ray cluster (:mod:`cnnviz.ray_backend`, ``CNNVIZ_RAY_ADDRESS``)."""

EN = {
    "ray.error.not_installed": "{env} is set, so training should run on a Ray cluster, but Ray is not installed "
                               "here: `pip install -r requirements-ray.txt` ({error}).",
    "ray.error.no_address": "No Ray cluster to train on: set {env} to the cluster's address.",
    "ray.error.connect": "Could not connect to the Ray cluster at {address}, so training cannot start: {error}",
    "ray.reason.worker_failed": "the Ray worker that trained it failed: {error}",
    "train.cluster_wait": "⏳ Waiting for a place on the Ray cluster: it trains at most {limit} model(s) at a time; "
                          "{running} of this server's run(s) are training now.",
}

ZH = {
    "ray.error.not_installed": "已设置 {env}，训练应在 Ray 集群上运行，但此处未安装 Ray："
                               "请运行 `pip install -r requirements-ray.txt`（{error}）。",
    "ray.error.no_address": "没有可用于训练的 Ray 集群：请将 {env} 设置为集群地址。",
    "ray.error.connect": "无法连接到位于 {address} 的 Ray 集群，因此无法开始训练：{error}",
    "ray.reason.worker_failed": "负责训练的 Ray 工作进程出错：{error}",
    "train.cluster_wait": "⏳ 正在等待 Ray 集群的空位：集群最多同时训练 {limit} 个模型；此服务器当前有 {running} 个"
                          "训练正在运行。",
}
