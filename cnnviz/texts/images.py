"""Messages of :mod:`cnnviz.images` (the safe image loader).  The loader's notes use the ``img_note.*`` keys
of :mod:`cnnviz.i18n`."""

EN = {
    "img.error.empty": "“{name}” is empty (0 bytes). Choose an image file.",
    "img.error.too_many_bytes": "“{name}” is {mb:.1f} MB, over the {limit:.0f} MB limit. Use a smaller image.",
    "img.error.misconfigured": "The image loader is misconfigured (truncated images allowed).",
    "img.error.not_image": "“{name}” is not an image cnnviz can read. Upload a PNG, JPEG, GIF, BMP or WEBP file.",
    "img.error.bomb": "“{name}” declares too many pixels (a possible decompression bomb); the limit is "
                      "{limit:.0f} megapixels.",
    "img.error.damaged": "“{name}” is damaged or truncated and cannot be read.",
    "img.error.format": "“{name}” is a {fmt} file; upload PNG, JPEG, GIF, BMP or WEBP.",
    "img.error.no_pixels": "“{name}” has no pixels ({w}×{h}).",
    "img.error.too_many_pixels": "“{name}” is {w}×{h} = {mp:.1f} megapixels, over the {limit:.0f} megapixel "
                                 "limit. Use a smaller image.",
    "img.error.too_large_to_decode": "“{name}” is too large to decode.",
    "img.error.invalid_values": "“{name}” contains invalid pixel values.",
    "img.error.unknown_sample": "Unknown sample “{sample}”; choose one of {choices}.",
}

ZH = {
    "img.error.empty": "“{name}”是空文件（0 字节）。请选择一个图像文件。",
    "img.error.too_many_bytes": "“{name}”有 {mb:.1f} MB，超过了 {limit:.0f} MB 的上限。请使用更小的图像。",
    "img.error.misconfigured": "图像加载器配置有误（允许了不完整的图像）。",
    "img.error.not_image": "“{name}”不是 cnnviz 能读取的图像。请上传 PNG、JPEG、GIF、BMP 或 WEBP 文件。",
    "img.error.bomb": "“{name}”声明的像素过多（可能是解压炸弹）；上限是 {limit:.0f} 百万像素。",
    "img.error.damaged": "“{name}”已损坏或不完整，无法读取。",
    "img.error.format": "“{name}”是 {fmt} 文件；请上传 PNG、JPEG、GIF、BMP 或 WEBP 文件。",
    "img.error.no_pixels": "“{name}”没有像素（{w}×{h}）。",
    "img.error.too_many_pixels": "“{name}”有 {w}×{h} = {mp:.1f} 百万像素，超过了 {limit:.0f} 百万像素的上限。"
                                 "请使用更小的图像。",
    "img.error.too_large_to_decode": "“{name}”太大，无法解码。",
    "img.error.invalid_values": "“{name}”含有无效的像素值。",
    "img.error.unknown_sample": "没有名为“{sample}”的示例图像；请从 {choices} 中选择。",
}
