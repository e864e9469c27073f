"""cnnviz.userdata: datasets from zips (every bad archive of issue 16 refused or counted), from camera
shots and drawings, stored and loaded back safely."""

from __future__ import annotations

import io
import resource
import stat
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from cnnviz import data, drawing, userdata
from cnnviz.userdata import UserDataError


@pytest.fixture(scope="module")
def mnist():
    return data.load_embedded_arrays()


def png(arr: np.ndarray) -> bytes:
    b = io.BytesIO()
    Image.fromarray(arr).save(b, format="PNG")
    return b.getvalue()


def make_zip(files: dict[str, bytes], infos: list[tuple[zipfile.ZipInfo, bytes]] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, payload in files.items():
            z.writestr(name, payload)
        for info, payload in infos:
            z.writestr(info, payload)
    return buf.getvalue()


def digit_files(mnist, classes=(3, 7), per_class=6, prefix="", invert=False) -> dict[str, bytes]:
    x, y = mnist
    out = {}
    for c in classes:
        for k, i in enumerate(np.flatnonzero(y == c)[:per_class]):
            out[f"{prefix}{c}/{k:03d}.png"] = png(255 - x[i] if invert else x[i])
    return out


def key_of(excinfo) -> str:
    return excinfo.value.key


# ----------------------------------------------------------------------------- good archives

@pytest.mark.parametrize("prefix", ["", "digits/"], ids=["flat", "top folder"])
def test_imagefolder_layout(mnist, prefix):
    files = digit_files(mnist, per_class=10, prefix=prefix)
    ds = userdata.dataset_from_zip(make_zip(files), "mine")
    assert ds.classes == ["3", "7"]
    assert ds.counts() == [10, 10]
    assert ds.train_x.dtype == torch.uint8 and tuple(ds.train_x.shape[1:]) == (28, 28)
    assert ds.train_y.dtype == torch.int64
    # stratified: 20 % of each class in the test split
    assert [int((ds.test_y == c).sum()) for c in range(2)] == [2, 2]
    assert len(ds.train_x) == 16 and ds.warnings == []
    # each image is the canvas path's result for the digit (a tile: ink = difference from the border)
    x, y = mnist
    refs = {drawing.preprocess(x[i]).uint8.tobytes() for c in (3, 7) for i in np.flatnonzero(y == c)[:10]}
    got = {im.numpy().tobytes() for im in torch.cat([ds.train_x, ds.test_x])}
    assert got == refs
    # the mean and std are those of the training images
    ref = ds.train_x.float() / 255
    assert ds.mean == pytest.approx(ref.mean().item(), rel=1e-4)
    assert ds.std == pytest.approx(ref.std(unbiased=False).item(), rel=1e-3)


def test_dark_on_light_scans_give_the_same_digits(mnist):
    a = userdata.dataset_from_zip(make_zip(digit_files(mnist)), "a")
    b = userdata.dataset_from_zip(make_zip(digit_files(mnist, invert=True)), "b")
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_x, b.test_x)


def test_natural_pictures_scaled_to_fit_and_grey():
    rng = np.random.default_rng(0)
    pic = rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)      # texture, no plain background
    out, how = userdata.to_digit(pic.astype(np.float32))
    assert how == "picture" and out.shape == (28, 28)
    grey = np.asarray(Image.fromarray(pic).convert("L").convert("F").resize((28, 19), Image.Resampling.BOX))
    assert np.abs(out[4:23].astype(float) - grey).max() <= 1.5     # aspect kept, centred, padded black
    assert (out[:4] == 0).all() and (out[23:] == 0).all()


def test_photo_of_a_drawing_goes_through_the_photo_path(mnist):
    from cnnviz import photo

    x, _ = mnist
    img, _ = photo.synthetic_photo(x[0], np.random.default_rng(0), shadow=0.5, ruled=True)
    out, how = userdata.to_digit(img)
    assert how == "photo"                               # an uneven border: the shadow is removed first
    assert np.array_equal(out, photo.from_photo(img).uint8)


def test_natural_photo_is_a_picture():
    import skimage.data

    cat = skimage.data.chelsea()
    out, how = userdata.to_digit(cat.astype(np.float32))
    assert how == "picture" and out.shape == (28, 28)
    assert not out[:4].any() and out[5:23].all()                          # 451x300: fitted 28 wide


def test_skipped_files_are_counted(mnist):
    files = digit_files(mnist)
    files.update({"3/readme.txt": b"hello", "notes.csv": b"a,b", "7/inner.zip": make_zip({"x.png": b"1"}),
                  "3/broken.png": b"\x89PNG not really", "stray.png": files["3/000.png"],
                  "__MACOSX/3/._000.png": b"junk"})
    ds = userdata.dataset_from_zip(make_zip(files), "d")
    assert ds.skipped["not_image"] == 2
    assert ds.skipped["archive"] == 1                  # the nested zip was not opened
    assert ds.skipped["unreadable"] == 1
    assert ds.skipped["outside"] == 1
    keys = {w.key for w in ds.warnings}
    assert {"userdata.skipped.not_image", "userdata.skipped.archive", "userdata.skipped.unreadable",
            "userdata.skipped.outside", "userdata.skipped.examples"} <= keys
    assert ds.counts() == [6, 6]


def test_dominant_class_warns(mnist):
    files = digit_files(mnist, classes=(1,), per_class=50)
    files.update(digit_files(mnist, classes=(2,), per_class=5))
    ds = userdata.dataset_from_zip(make_zip(files), "d")
    (w,) = [w for w in ds.warnings if w.key == "userdata.warn.dominant"]
    assert w.args["cls"] == "1" and w.args["pct"] == 91


def test_progress_is_reported(mnist):
    seen = []
    userdata.dataset_from_zip(make_zip(digit_files(mnist, per_class=30)), "p",
                              progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (60, 60) and all(t == 60 for _, t in seen) and len(seen) >= 2


# ----------------------------------------------------------------------------- bad archives

def test_zip_bomb_declared_size_refused_before_reading(mnist, monkeypatch):
    files = digit_files(mnist)
    files["3/bomb.png"] = b"\0" * (userdata.MAX_FILE_BYTES + 1)      # compresses to ~20 KB
    payload = make_zip(files)
    assert len(payload) < 200_000
    read = []
    monkeypatch.setattr(userdata, "_read_capped", lambda *a: read.append(a) or b"")
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(payload, "b")
    assert key_of(e) == "userdata.error.file_too_big" and "bomb" in e.value.args_dict["entry"]
    assert read == []                                   # refused from the directory, nothing extracted


def test_total_uncompressed_size_capped(mnist, monkeypatch):
    monkeypatch.setattr(userdata, "MAX_TOTAL_BYTES", 3000)
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(make_zip(digit_files(mnist)), "b")
    assert key_of(e) == "userdata.error.total_too_big"


def test_file_count_capped(mnist, monkeypatch):
    monkeypatch.setattr(userdata, "MAX_ENTRIES", 11)
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(make_zip(digit_files(mnist)), "b")
    assert key_of(e) == "userdata.error.too_many_files" and e.value.args_dict["n"] == 12


def test_stream_read_is_capped_whatever_the_header_says():
    payload = make_zip({"a/x.png": b"x" * 100_000})
    with zipfile.ZipFile(io.BytesIO(payload)) as z:
        info = z.infolist()[0]
        with pytest.raises(UserDataError) as e:
            userdata._read_capped(z, info, 1000)
    assert key_of(e) == "userdata.error.file_too_big"


def test_lying_header_does_not_crash(mnist):
    files = digit_files(mnist)
    payload = bytearray(make_zip(files))
    # shrink the declared size of one entry in the central directory (and the local header)
    with zipfile.ZipFile(io.BytesIO(bytes(payload))) as z:
        info = z.getinfo("3/000.png")
    real = info.file_size.to_bytes(4, "little")
    cd = payload.rfind(b"PK\x01\x02" , 0, payload.find(b"3/000.png", payload.find(b"PK\x01\x02")) + 1)
    i = payload.index(real, cd)
    payload[i:i + 4] = (10).to_bytes(4, "little")
    ds = userdata.dataset_from_zip(bytes(payload), "l")
    assert ds.skipped["unreadable"] == 1 and ds.counts() == [5, 6]


@pytest.mark.parametrize("entry", ["../evil/x.png", "/abs/3/x.png", "C:/win/x.png", "3/../../x.png",
                                   "3\\..\\..\\x.png"])
def test_path_escapes_refused(mnist, entry):
    files = digit_files(mnist)
    files[entry] = files["3/000.png"]
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(make_zip(files), "e")
    assert key_of(e) == "userdata.error.path_escape"


def test_symlink_refused(mnist):
    link = zipfile.ZipInfo("3/link.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(make_zip(digit_files(mnist), [(link, b"/etc/passwd")]), "s")
    assert key_of(e) == "userdata.error.symlink"


def test_duplicate_class_names_refused(mnist):
    files = {k.replace("3/", "Cat/").replace("7/", "cat/"): v for k, v in digit_files(mnist).items()}
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(make_zip(files), "d")
    assert key_of(e) == "userdata.error.duplicate_class"
    assert {e.value.args_dict["a"], e.value.args_dict["b"]} == {"Cat", "cat"}


def test_too_few_images_names_the_class(mnist):
    files = digit_files(mnist, classes=(3,), per_class=8)
    files.update(digit_files(mnist, classes=(7,), per_class=4))
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(make_zip(files), "f")
    assert key_of(e) == "userdata.error.few_images" and e.value.args_dict["cls"] == "7"
    assert "“7”" in str(e.value)


@pytest.mark.parametrize("classes", [(3,), tuple(range(10)) + (11,)], ids=["one", "eleven"])
def test_class_count_limits(mnist, classes):
    x, y = mnist
    files = {}
    for c in classes:
        for k in range(5):
            files[f"c{c}/{k}.png"] = png(x[k])
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(make_zip(files), "c")
    assert key_of(e) == "userdata.error.class_count"


@pytest.mark.parametrize("payload", [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 40])
def test_not_a_zip(payload):
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(payload, "n")
    assert key_of(e) == "userdata.error.not_zip"


def test_no_class_folders():
    with pytest.raises(UserDataError) as e:
        userdata.dataset_from_zip(make_zip({"a.txt": b"x"}), "n")
    assert key_of(e) == "userdata.error.no_classes"


def test_decompression_bomb_image_is_skipped(mnist):
    files = digit_files(mnist)
    b = io.BytesIO()
    Image.new("1", (5000, 4000)).save(b, format="PNG")              # 20 MP declared, a few KB of file
    files["3/huge.png"] = b.getvalue()
    ds = userdata.dataset_from_zip(make_zip(files), "h")
    assert ds.skipped["unreadable"] == 1 and ds.counts() == [6, 6]


def test_zip_from_a_path(mnist, tmp_path):
    p = tmp_path / "d.zip"
    p.write_bytes(make_zip(digit_files(mnist)))
    assert userdata.dataset_from_zip(p, "p").counts() == [6, 6]
    with pytest.raises(UserDataError):
        userdata.dataset_from_zip(tmp_path / "missing.zip", "p")


# ----------------------------------------------------------------------------- drawings and shots

def test_dataset_from_drawings():
    rng = np.random.default_rng(0)
    shapes = {}
    for name in ("circle", "line", "vee"):
        drawings = []
        for _ in range(6):
            c = rng.uniform(100, 180, 2)
            r = rng.uniform(40, 80)
            if name == "circle":
                t = np.linspace(0, 2 * np.pi, 40)
                pts = list(zip(c[0] + r * np.cos(t), c[1] + r * np.sin(t)))
            elif name == "line":
                pts = [(c[0], c[1] - r), (c[0], c[1] + r)]
            else:
                pts = [(c[0] - r, c[1] - r), (c[0], c[1] + r), (c[0] + r, c[1] - r)]
            drawings.append(drawing.draw_strokes([pts], width=rng.uniform(8, 20)))
        shapes[name] = drawings
    shapes["vee"].append(np.zeros((280, 280, 4), np.uint8))        # an empty canvas
    ds = userdata.dataset_from_images(shapes, "shapes")
    assert ds.classes == ["circle", "line", "vee"] and ds.counts() == [6, 6, 6]
    assert ds.skipped["empty"] == 1
    first = torch.cat([ds.train_x, ds.test_x])[torch.cat([ds.train_y, ds.test_y]) == 0]
    refs = {drawing.preprocess(d).uint8.tobytes() for d in shapes["circle"]}
    assert {im.numpy().tobytes() for im in first} == refs


# ----------------------------------------------------------------------------- storage

@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_USER_DATA", str(tmp_path / "user"))
    return tmp_path / "user"


def test_save_load_list_delete(mnist, store):
    ds = userdata.dataset_from_zip(make_zip(digit_files(mnist)), "my digits")
    path = userdata.save_dataset(ds)
    assert path.parent == store and path.name == "my-digits.npz"
    with np.load(path, allow_pickle=False) as z:                   # plain uint8 arrays, no pickle
        assert z["images"].dtype == np.uint8 and z["images"].shape == (12, 28, 28)
    back = userdata.load_dataset("my digits")
    for part in ("train_x", "train_y", "test_x", "test_y"):
        assert torch.equal(getattr(back, part), getattr(ds, part)), part
    assert back.classes == ds.classes and back.mean == pytest.approx(ds.mean) and back.std == pytest.approx(ds.std)
    assert userdata.list_datasets() == ["my-digits"]
    with pytest.raises(UserDataError) as e:                        # no clobbering
        userdata.save_dataset(ds)
    assert key_of(e) == "userdata.error.exists"
    assert userdata.save_dataset(ds, overwrite=True) == path
    assert [p.name for p in store.iterdir()] == ["my-digits.npz"]  # no temporary files left
    assert userdata.delete_dataset("my digits") and not userdata.delete_dataset("my digits")
    assert userdata.list_datasets() == []
    with pytest.raises(UserDataError) as e:
        userdata.load_dataset("my digits")
    assert key_of(e) == "userdata.error.missing"


@pytest.mark.parametrize("name,safe", [("../../etc/passwd", "etc-passwd"), ("a/b\\c", "a-b-c"), ("猫", None),
                                       ("..", None)])
def test_names_made_safe(name, safe, store):
    if safe is None:
        with pytest.raises(UserDataError):
            userdata.safe_name(name)
    else:
        assert userdata.safe_name(name) == safe
        assert userdata.dataset_path(name).parent == store


def _npz(**arrays) -> bytes:
    b = io.BytesIO()
    np.savez_compressed(b, **arrays)
    return b.getvalue()


def test_corrupt_files_refused(mnist, store):
    ds = userdata.dataset_from_zip(make_zip(digit_files(mnist)), "c")
    good = userdata.to_bytes(ds)
    with np.load(io.BytesIO(good)) as z:
        parts = {k: z[k] for k in z.files}
    bad = [
        good[:len(good) // 2],
        b"garbage",
        _npz(**{**parts, "labels": np.full(12, 5, np.uint8)}),               # label out of range
        _npz(**{**parts, "images": parts["images"].astype(np.float32)}),     # wrong dtype
        _npz(**{**parts, "images": parts["images"][:, :27]}),                # wrong shape
        _npz(**{**parts, "meta": np.array([{"classes": ["a", "b"]}], dtype=object)}),  # a pickle
    ]
    for payload in bad:
        with pytest.raises(UserDataError) as e:
            userdata.from_bytes(payload, "c")
        assert key_of(e) == "userdata.error.corrupt"


# ----------------------------------------------------------------------------- scale

@pytest.mark.slow
def test_twenty_thousand_images(mnist):
    """10 classes x 2,000 generated images (>= 1,500 per class, 20,000 in all) in a zip."""
    x, y = mnist
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for c in range(10):
            idx = np.flatnonzero(y == c)
            for k in range(2000):
                img = np.roll(x[idx[k % len(idx)]], rng.integers(-2, 3), axis=1)
                z.writestr(f"set/class {c}/{k}.png", png(img))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seen = []
    ds = userdata.dataset_from_zip(buf.getvalue(), "big", progress=lambda d, t: seen.append(d))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert ds.counts() == [2000] * 10 and len(ds.train_x) == 16000 and len(ds.test_x) == 4000
    assert seen[-1] == 20000
    assert grown_mb < 400, grown_mb
