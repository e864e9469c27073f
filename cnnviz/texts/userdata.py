"""Texts of the user datasets (:mod:`cnnviz.userdata`)."""

EN = {
    "userdata.error.few_images": "Class “{cls}” has {n} usable images; each class needs at least {min}.",
    "userdata.error.class_name": "“{cls}” cannot be a class name: it is empty.",
    "userdata.error.duplicate_class": "Two classes have the same name: “{a}” and “{b}” (upper and lower "
                                      "case count as the same). Rename one folder.",
    "userdata.error.class_count": "A dataset needs {lo} to {hi} classes; this one has {n}.",
    "userdata.error.too_many_images": "{n} images is more than the {max} a dataset may hold.",
    "userdata.error.symlink": "The archive contains a symbolic link (“{entry}”); it was refused.",
    "userdata.error.path_escape": "The archive contains a path that leaves its folder (“{entry}”); it was "
                                  "refused.",
    "userdata.error.file_too_big": "“{entry}” is larger than {mb} MB unpacked; the archive was refused.",
    "userdata.error.total_too_big": "The archive unpacks to more than {gb:.0f} GB; it was refused.",
    "userdata.error.archive_too_big": "The archive is larger than {mb} MB.",
    "userdata.error.too_many_files": "The archive holds {n} entries, more than the {max} allowed.",
    "userdata.error.not_zip": "This is not a zip archive that can be read.",
    "userdata.error.no_classes": "No class folders with images found. Put the images of each class in a "
                                 "folder of its own, named after the class, and zip those folders.",
    "userdata.error.name": "“{name}” cannot be used as a dataset name; use letters and digits.",
    "userdata.error.exists": "A dataset named “{name}” already exists. Choose another name, or confirm "
                             "to replace it.",
    "userdata.error.corrupt": "The stored dataset “{name}” is damaged and cannot be loaded.",
    "userdata.error.missing": "There is no stored dataset named “{name}”.",
    "userdata.warn.dominant": "Class “{cls}” holds {pct} % of all images: a network can score well by "
                              "always answering “{cls}”. Add images to the other classes.",
    "userdata.skipped.not_image": "{n} files that are not images were skipped.",
    "userdata.skipped.archive": "{n} archives inside the archive were skipped (not opened).",
    "userdata.skipped.unreadable": "{n} images could not be read or hold no marks, and were skipped.",
    "userdata.skipped.outside": "{n} images outside a class folder were skipped.",
    "userdata.skipped.empty": "{n} empty drawings were skipped.",
    "userdata.skipped.examples": "For example: {names}",
}

ZH = {
    "userdata.error.few_images": "类别“{cls}”只有 {n} 张可用图片；每个类别至少需要 {min} 张。",
    "userdata.error.class_name": "“{cls}”不能作为类别名：它是空的。",
    "userdata.error.duplicate_class": "有两个类别同名：“{a}”和“{b}”（不区分大小写）。请给其中一个文件夹改名。",
    "userdata.error.class_count": "数据集需要 {lo} 到 {hi} 个类别；这个数据集有 {n} 个。",
    "userdata.error.too_many_images": "{n} 张图片超过了一个数据集最多可容纳的 {max} 张。",
    "userdata.error.symlink": "压缩包中含有符号链接（“{entry}”），已拒绝。",
    "userdata.error.path_escape": "压缩包中有指向其文件夹之外的路径（“{entry}”），已拒绝。",
    "userdata.error.file_too_big": "“{entry}”解压后超过 {mb} MB，已拒绝该压缩包。",
    "userdata.error.total_too_big": "该压缩包解压后超过 {gb:.0f} GB，已拒绝。",
    "userdata.error.archive_too_big": "压缩包超过 {mb} MB。",
    "userdata.error.too_many_files": "压缩包含有 {n} 个条目，超过允许的 {max} 个。",
    "userdata.error.not_zip": "这不是可以读取的 zip 压缩包。",
    "userdata.error.no_classes": "没有找到含图片的类别文件夹。请把每个类别的图片放进以类别命名的文件夹，"
                                 "再压缩这些文件夹。",
    "userdata.error.name": "“{name}”不能用作数据集名称；请使用字母和数字。",
    "userdata.error.exists": "名为“{name}”的数据集已存在。请换一个名称，或确认替换它。",
    "userdata.error.corrupt": "已保存的数据集“{name}”已损坏，无法加载。",
    "userdata.error.missing": "没有名为“{name}”的已保存数据集。",
    "userdata.warn.dominant": "类别“{cls}”占全部图片的 {pct}%：网络只要总是回答“{cls}”就能得到高分。"
                              "请为其他类别添加图片。",
    "userdata.skipped.not_image": "跳过了 {n} 个非图片文件。",
    "userdata.skipped.archive": "跳过了压缩包内的 {n} 个压缩包（未打开）。",
    "userdata.skipped.unreadable": "{n} 张图片无法读取或没有笔迹，已跳过。",
    "userdata.skipped.outside": "跳过了 {n} 张不在类别文件夹中的图片。",
    "userdata.skipped.empty": "跳过了 {n} 张空白绘图。",
    "userdata.skipped.examples": "例如：{names}",
}
