"""Texts of the photo input (:mod:`cnnviz.photo`, ``ui/photo_input.py``)."""

EN = {
    "fm.mode_photo": "📷 Photo",
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
    "photo.source": "Photo from",
    "photo.source_camera": "Camera",
    "photo.source_upload": "Upload a photo",
    "photo.camera_label": "Take a photo of one digit written on paper",
    "photo.upload_label": "A photo of one digit on paper (PNG, JPEG, GIF, BMP or WEBP)",
    "photo.tips": "Write one digit with a dark, thick pen on plain or ruled paper; hold the phone so the digit "
                  "fills about half of the picture's height, in even light.",
    "photo.prompt": "Take or upload a photo of a handwritten digit.",
    "photo.no_digit": "No digit found. {reason}",
    "photo.light_on_dark": "Light ink on a dark surface: read as such.",
    "photo.step.photo": "Step 1: Photo",
    "photo.step.paper_removed": "Step 2: Paper removed",
    "photo.step.ink": "Step 3: Ink (white: the digit; grey: dropped)",
    "photo.step.digit": "Step 4: 28×28, as the network sees it",
}

ZH = {
    "fm.mode_photo": "📷 照片",
    "photo.reason.not_image": "这不是一张图片（需要 高 × 宽 × 3 个颜色值）。",
    "photo.reason.shape": "图片为 {w}×{h} 像素：太小或太窄，放不下一个可辨认的数字。请拍下完整的数字。",
    "photo.reason.no_ink": "没有找到笔迹：纸面看起来是空白的。请把数字写得更深、更粗，或者靠近一些拍摄。",
    "photo.reason.too_small": "找到的笔迹太小，不像一个数字。请靠近一些，让数字约占图片高度的一半。",
    "photo.reason.blob": "找到的深色区域是一整块（阴影还是手指？），而不是笔画。请在均匀的光线下拍摄，"
                         "不要让手指进入画面。",
    "photo.reason.too_big": "找到的笔迹占满了整张图片。请只拍纸上的一个数字。",
    "photo.source": "照片来源",
    "photo.source_camera": "摄像头",
    "photo.source_upload": "上传照片",
    "photo.camera_label": "给纸上写的一个数字拍照",
    "photo.upload_label": "纸上一个数字的照片（PNG、JPEG、GIF、BMP 或 WEBP）",
    "photo.tips": "用深色的粗笔在白纸或横线纸上写一个数字；拍照时让数字约占图片高度的一半，光线要均匀。",
    "photo.prompt": "拍摄或上传一张手写数字的照片。",
    "photo.no_digit": "没有找到数字。{reason}",
    "photo.light_on_dark": "深色背景上的浅色笔迹：已按此方式读取。",
    "photo.step.photo": "第 1 步：照片",
    "photo.step.paper_removed": "第 2 步：去除纸张背景",
    "photo.step.ink": "第 3 步：笔迹（白色：数字；灰色：已舍弃）",
    "photo.step.digit": "第 4 步：28×28，网络看到的样子",
}
