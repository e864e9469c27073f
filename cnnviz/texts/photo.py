"""Texts of the photo input (:mod:`cnnviz.photo`, ``ui/photo_input.py``)."""

EN = {
    "photo.reason.not_image": "This is not a picture (it needs height × width × 3 colour values).",
    "photo.reason.shape": "The picture is {w}×{h} pixels: too small or too narrow to hold a readable digit. "
                          "Take a photo of the whole digit.",
    "photo.reason.no_ink": "No ink found: the paper looks blank. Write the digit darker and thicker, or "
                           "move closer.",
    "photo.reason.too_small": "The only marks found are too small for a digit. Move closer so the digit "
                              "fills about half of the picture's height.",
    "photo.reason.blob": "The dark area found is a solid blob (a shadow or a finger?), not pen strokes. "
                         "Use even light and keep fingers out of the picture.",
    "photo.reason.too_big": "The marks found fill the whole picture. Photograph one digit on plain paper.",
}

ZH = {
    "photo.reason.not_image": "这不是一张图片（需要 高 × 宽 × 3 个颜色值）。",
    "photo.reason.shape": "图片为 {w}×{h} 像素：太小或太窄，放不下一个可辨认的数字。请拍下完整的数字。",
    "photo.reason.no_ink": "没有找到笔迹：纸面看起来是空白的。请把数字写得更深、更粗，或者靠近一些拍摄。",
    "photo.reason.too_small": "找到的笔迹太小，不像一个数字。请靠近一些，让数字约占图片高度的一半。",
    "photo.reason.blob": "找到的深色区域是一整块（阴影还是手指？），而不是笔画。请在均匀的光线下拍摄，"
                         "不要让手指进入画面。",
    "photo.reason.too_big": "找到的笔迹占满了整张图片。请只拍纸上的一个数字。",
}
