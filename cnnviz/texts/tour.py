"""Texts of the lecture tour's bar and of the tour file's validation (cnnviz.tour)."""

EN: dict[str, str] = {
    "tour.start": "▶ Start the lecture tour",
    "tour.start_help": "A guided sequence of {n} views, from kernels to training: each step opens a page with "
                       "its choices set and a short explanation. Edit tour.toml to make your own.",
    "tour.step": "Tour · step {number} of {total}",
    "tour.previous": "◀ Previous",
    "tour.next": "Next ▶",
    "tour.end": "✕ End the tour",
    "tour.copy_link": "Link to this view",
    "tour.copy_link_help": "Copy this address to put the current view on a slide; it holds only the page's "
                           "choices, never anything private.",
    "tour.bad_file": "The lecture tour cannot be used: {error}",
    "tour.error.texts": "step {step}: “{field}” must be a table with an English and a Chinese text "
                        "({field}.en = \"…\", {field}.zh = \"…\").",
    "tour.error.text_missing": "step {step}: {field}.{lang} is missing or empty.",
    "tour.error.text_long": "step {step}: {field}.{lang} is longer than {limit} characters.",
    "tour.error.params": "step {step}: “params” must be a table of at most {limit} choices.",
    "tour.error.param_name": "step {step}: “{name}” is not a valid choice name (lower-case letters, digits and _).",
    "tour.error.param_value": "step {step}: the value of “{name}” must be a short text, number or true/false.",
    "tour.error.not_table": "step {step} is not a table ([[step]] followed by its fields).",
    "tour.error.unknown_field": "step {step}: unknown field “{field}” (allowed: page, params, title, text).",
    "tour.error.page": "step {step}: unknown page “{page}” (one of: {pages}).",
    "tour.error.too_big": "the tour file is larger than {limit} kB.",
    "tour.error.syntax": "the tour file is not valid TOML: {detail}",
    "tour.error.no_steps": "the tour file has no steps (each begins with [[step]]).",
    "tour.error.too_many": "the tour has more than {limit} steps.",
    "tour.error.unreadable": "the tour file {name} cannot be read.",
    "url.bad_params": "Some choices in the link were not valid and were reset to their defaults: {names}.",
}

ZH: dict[str, str] = {
    "tour.start": "▶ 开始课堂导览",
    "tour.start_help": "一共 {n} 个视图的导览，从卷积核讲到训练：每一步打开一个页面，设好相应的选项，并附一段简短的说明。"
                       "编辑 tour.toml 可以做出你自己的导览。",
    "tour.step": "导览 · 第 {number} 步，共 {total} 步",
    "tour.previous": "◀ 上一步",
    "tour.next": "下一步 ▶",
    "tour.end": "✕ 结束导览",
    "tour.copy_link": "当前视图的链接",
    "tour.copy_link_help": "复制这个地址即可把当前视图放进幻灯片；它只包含页面上的选项，不含任何私人信息。",
    "tour.bad_file": "课堂导览无法使用：{error}",
    "tour.error.texts": "第 {step} 步：“{field}” 必须是一个包含英文和中文文本的表（{field}.en = \"…\"，{field}.zh = \"…\"）。",
    "tour.error.text_missing": "第 {step} 步：缺少 {field}.{lang}，或者它是空的。",
    "tour.error.text_long": "第 {step} 步：{field}.{lang} 超过了 {limit} 个字符。",
    "tour.error.params": "第 {step} 步：“params” 必须是一个最多包含 {limit} 个选项的表。",
    "tour.error.param_name": "第 {step} 步：“{name}” 不是有效的选项名（只能用小写字母、数字和 _）。",
    "tour.error.param_value": "第 {step} 步：“{name}” 的值必须是简短的文本、数字或 true/false。",
    "tour.error.not_table": "第 {step} 步不是一个表（[[step]] 后面跟着它的各个字段）。",
    "tour.error.unknown_field": "第 {step} 步：未知字段 “{field}”（允许的字段：page、params、title、text）。",
    "tour.error.page": "第 {step} 步：未知页面 “{page}”（可选：{pages}）。",
    "tour.error.too_big": "导览文件超过了 {limit} kB。",
    "tour.error.syntax": "导览文件不是有效的 TOML：{detail}",
    "tour.error.no_steps": "导览文件里没有任何步骤（每一步以 [[step]] 开头）。",
    "tour.error.too_many": "导览超过了 {limit} 步。",
    "tour.error.unreadable": "无法读取导览文件 {name}。",
    "url.bad_params": "链接中的部分选项无效，已恢复为默认值：{names}。",
}
