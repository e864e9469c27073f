"""Messages of :mod:`cnnviz.settings` (the ``CNNVIZ_*`` hosting settings, checked when the server starts)."""

EN = {
    "settings.error.empty": "{name} is set but empty: unset it, or give it a value.",
    "settings.error.whole": "{name} must be a whole number of at least {lo}, not “{value}”.",
    "settings.error.whole_range": "{name} must be a whole number from {lo} to {hi}, not “{value}”.",
    "settings.error.seconds": "{name} must be a number of seconds above 0, not “{value}”.",
    "settings.error.flag": "{name} must be 0 (off) or 1 (on), not “{value}”.",
    "settings.error.not_a_folder": "{name} must name a folder, but “{value}” is a file.",
    "settings.error.not_a_file": "{name} must name a file that exists, but “{value}” is not one.",
    "settings.refused": "cnnviz cannot start: invalid hosting settings.",
}

ZH = {
    "settings.error.empty": "{name} 已设置但为空：请取消设置，或给它一个值。",
    "settings.error.whole": "{name} 必须是不小于 {lo} 的整数，而不是“{value}”。",
    "settings.error.whole_range": "{name} 必须是 {lo} 到 {hi} 之间的整数，而不是“{value}”。",
    "settings.error.seconds": "{name} 必须是大于 0 的秒数，而不是“{value}”。",
    "settings.error.flag": "{name} 必须是 0（关闭）或 1（开启），而不是“{value}”。",
    "settings.error.not_a_folder": "{name} 必须是一个文件夹，但“{value}”是一个文件。",
    "settings.error.not_a_file": "{name} 必须是一个已存在的文件，但“{value}”不是。",
    "settings.refused": "cnnviz 无法启动：托管设置无效。",
}
