"""The Python module against the command: same bytes, arrays read in place, errors by kind."""
import json
import os
import re
import subprocess
import threading

import numpy as np
import pytest

import quantize

CLI = os.environ["QUANTIZE_CLI"]
SAMPLES = os.environ["QUANTIZE_SAMPLES_DIR"]
KODIM = os.path.join(SAMPLES, "kodim23.png")
ALPHA = os.path.join(SAMPLES, "basn6a08.png")


def command(*args):
    return subprocess.run([CLI, *args], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("path", [KODIM, ALPHA])
@pytest.mark.parametrize("options", [{}, {"space": "oklab", "seed": 7}, {"dither": "fs"},
                                     {"sample": "auto", "k": 64}, {"sample": 50000}])
def test_same_bytes_as_the_command(tmp_path, path, options):
    # Arrays carry no metadata: the command is asked to keep none either (basn6a08 has gAMA).
    options = dict(options)
    k = options.pop("k", 16)
    flags = ["-k", str(k), "--strip", "--profile", "drop"]
    for name, value in options.items():
        flags += ["--" + name.replace("_", "-"), str(value)]
    command(path, *flags, "-o", str(tmp_path / "cli.png"), "-q")
    result = quantize.quantize(quantize.read(path), k=k, **options)
    quantize.write(tmp_path / "py.png", result)
    assert (tmp_path / "py.png").read_bytes() == (tmp_path / "cli.png").read_bytes()
    assert quantize.encode(result, "png") == (tmp_path / "cli.png").read_bytes()


# Limits an unlimited arena (one thread per core) never has: 1 and one more than the cores.
LIMITS = [1, os.cpu_count() + 1]


def arena_seen(seen):
    """A progress callback noting the thread limit of the arena it is called in."""
    return lambda stage: seen.append(quantize._arena_threads())


@pytest.mark.parametrize("path", [KODIM, ALPHA])
@pytest.mark.parametrize("threads", LIMITS)
def test_read_takes_a_thread_limit(path, threads):
    seen = []
    assert np.array_equal(quantize.read(path, threads=threads, progress=arena_seen(seen)),
                          quantize.read(path))
    assert seen == [threads]


@pytest.mark.parametrize("path", [KODIM, ALPHA])
@pytest.mark.parametrize("threads", LIMITS)
def test_decode_takes_a_thread_limit(path, threads):
    with open(path, "rb") as f:
        data = f.read()
    seen = []
    assert np.array_equal(quantize.decode(data, threads=threads, progress=arena_seen(seen)),
                          quantize.read(path))
    assert seen == [threads]
    with pytest.raises(quantize.InvalidArgumentError):
        quantize.decode(data, threads=-1)


@pytest.mark.parametrize("threads", LIMITS)
def test_quantize_runs_in_the_threads_given(threads):
    seen = []  # from every poll: before each stage and inside k-means, sampling and remap
    quantize.quantize(quantize.read(KODIM), k=16, threads=threads, progress=arena_seen(seen))
    assert len(seen) > 3 and set(seen) == {threads}


def test_progress_sees_every_stage_and_polls_inside():
    stages = []
    plain = quantize.quantize(quantize.read(KODIM), k=16, dither="fs")
    followed = quantize.quantize(quantize.read(KODIM), k=16, dither="fs", progress=stages.append)
    assert np.array_equal(followed.indices, plain.indices)
    assert stages[0] == "sample" and "cluster" in stages
    assert stages.count("remap") > 2  # before the stage, then inside the diffusion


@pytest.mark.parametrize("stage", ["sample", "cluster", "remap"])
def test_progress_false_cancels_inside_a_stage(stage):
    calls = []

    def stop_at_second(name):
        calls.append(name)
        return calls.count(stage) < 2

    with pytest.raises(quantize.CancelledError):
        quantize.quantize(quantize.read(KODIM), k=16, dither="fs", sample=0,
                          progress=stop_at_second)


def test_progress_raising_cancels_with_its_exception():
    def stop(name):
        if name == "remap":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        quantize.quantize(quantize.read(KODIM), k=16, progress=stop)


@pytest.mark.parametrize("path", [KODIM, ALPHA])
def test_quantize_file_is_the_command(tmp_path, path):
    command(path, "-k", "8", "--seed", "3", "-o", str(tmp_path / "cli.png"), "-q")
    report = quantize.quantize_file(path, tmp_path / "py.png", k=8, seed=3)
    assert (tmp_path / "py.png").read_bytes() == (tmp_path / "cli.png").read_bytes()
    assert report["bytes"]["written"] and report["output"] == str(tmp_path / "py.png")


def test_report_has_the_fields_of_json(tmp_path):
    expected = json.loads(command(KODIM, "-k", "8", "--json", "-o", str(tmp_path / "x.png")))
    result = quantize.quantize(quantize.read(KODIM), k=8)
    r = result.report
    assert set(r) == set(expected)
    assert r["quality"] == pytest.approx(expected["quality"])
    assert r["palette"] == expected["palette"]
    assert (r["width"], r["height"]) == (768, 512)
    assert len(result.palette) == 8


def test_result_shapes_and_types():
    image = quantize.read(KODIM)
    assert image.dtype == np.uint8 and image.shape == (512, 768, 3)
    result = quantize.quantize(image, k=12, threads=2)
    assert result.indices.shape == (512, 768) and result.indices.dtype == np.uint8
    assert result.palette.shape == (12, 3) and result.palette.dtype == np.uint8
    assert np.array_equal(result.image, result.palette[result.indices])
    assert sum(result.counts) == 512 * 768
    rgba = quantize.read(ALPHA)
    assert rgba.shape[2] == 4
    assert quantize.quantize(rgba, k=8).palette.shape[1] == 4


def test_the_array_is_read_in_place():
    image = quantize.read(KODIM)
    address, width, height, channels, stride = quantize._view(image)
    assert address == image.ctypes.data and (width, height, channels, stride) == (768, 512, 3, 2304)
    # A slice of a wider array: rows apart, read in place too, same result as a packed copy.
    window = image[100:400, 50:650]
    address, width, height, _, stride = quantize._view(window)
    assert address == window.ctypes.data and stride == 2304 and (width, height) == (600, 300)
    packed = np.ascontiguousarray(window)
    a, b = quantize.quantize(window, k=16), quantize.quantize(packed, k=16)
    assert np.array_equal(a.indices, b.indices) and np.array_equal(a.palette, b.palette)
    # The indices are a view of the result: no copy either way.
    assert not a.indices.flags.owndata


def test_strides_that_cannot_be_viewed_are_refused():
    image = quantize.read(KODIM)
    with pytest.raises(quantize.InvalidArgumentError, match="numpy.ascontiguousarray"):
        quantize.quantize(image[:, ::2], k=4)
    with pytest.raises(quantize.InvalidArgumentError, match="3 \\(RGB\\) or 4"):
        quantize.quantize(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(quantize.InvalidArgumentError, match="uint8"):
        quantize.quantize(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="dimensions"):
        quantize.quantize(np.zeros((4, 12), np.uint8))


def test_errors_are_typed_and_say_what_the_command_says(tmp_path):
    with pytest.raises(quantize.InvalidArgumentError) as e:
        quantize.quantize(quantize.read(KODIM), k=300)
    cli = subprocess.run([CLI, KODIM, "-k", "300", "-o", str(tmp_path / "x.png")],
                         capture_output=True, text=True)
    # The cause as the command words it; the subject is the option (the command says --colors).
    assert e.value.cause in cli.stderr and "--colors" in cli.stderr
    assert str(e.value) == "colors: " + e.value.cause
    assert e.value.subject == "colors" and isinstance(e.value, ValueError)
    with pytest.raises(quantize.InputError) as e:
        quantize.read(tmp_path / "missing.png")
    assert isinstance(e.value, quantize.Error) and isinstance(e.value, OSError)
    assert "missing.png" in str(e.value)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(quantize.InputError):
        quantize.read(tmp_path / "bad.png")
    result = quantize.quantize(quantize.read(KODIM), k=4)
    quantize.write(tmp_path / "out.png", result)
    with pytest.raises(quantize.OutputError) as e:
        quantize.write(tmp_path / "out.png", result)
    # The keyword a Python caller passes to overwrite, not the command's --force.
    assert str(e.value) == str(tmp_path / "out.png") + \
        ": already exists (use overwrite=True to overwrite)"
    assert e.value.cause == "already exists (use overwrite=True to overwrite)"
    with pytest.raises(quantize.OutputError, match=r"\(use overwrite=True to overwrite\)$"):
        quantize.quantize_file(KODIM, tmp_path / "out.png", k=4)
    quantize.write(tmp_path / "out.png", result, overwrite=True)
    with pytest.raises(TypeError, match="colours"):
        quantize.quantize(quantize.read(KODIM), colours=4)
    assert issubclass(quantize.TooLargeError, quantize.InputError)
    assert issubclass(quantize.CancelledError, quantize.Error)


def test_palette_and_decode():
    image = quantize.read(KODIM)
    colors = quantize.palette([image, image[::-1]], k=8)
    assert colors.shape == (8, 3) and colors.dtype == np.uint8
    # A flipped array (negative row stride) is read in place, upside down.
    flipped = quantize.quantize(image[::-1], k=8)
    assert np.array_equal(flipped.indices,
                          quantize.quantize(np.ascontiguousarray(image[::-1]), k=8).indices)
    with open(KODIM, "rb") as f:
        assert np.array_equal(quantize.decode(f.read(), "kodim23.png"), image)


def test_palette_of_a_fully_transparent_image_warns():
    clear = np.zeros((8, 8, 4), np.uint8)
    with pytest.warns(UserWarning, match="every pixel is fully transparent"):
        colors = quantize.palette([clear], k=4)
    assert colors.shape[0] == 0


def test_the_gil_is_released_while_working():
    image = quantize.read(KODIM)
    ticks = [0]
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks[0] += 1

    thread = threading.Thread(target=count)
    thread.start()
    before = ticks[0]
    quantize.quantize(image, k=64, sample=0, threads=1)
    during = ticks[0] - before
    done.set()
    thread.join()
    # Held through the call, the GIL would keep the counter still until it returned.
    assert during > 1000


# A small image every option check runs on: the checks come before any work.
TINY = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)


@pytest.mark.parametrize("option, value, subject, shown", [
    ("k", 2**40, "colors", 2**40),
    ("k", "16", "colors", "16"),
    ("k", 1.5, "colors", 1.5),
    ("k", True, "colors", True),
    ("sample", -1, "sample", -1),
    ("sample", 1.5, "sample", 1.5),
    ("sample", "all", "sample", "all"),
    ("seed", -1, "seed", -1),
    ("seed", 2**64, "seed", 2**64),
    ("seed", "7", "seed", "7"),
    ("max_iter", 2**40, "max-iter", 2**40),
    ("restarts", "5", "restarts", "5"),
    ("threads", 2.0, "threads", 2.0),
    ("tolerance", "0.5", "tolerance", "0.5"),
    ("dither_level", None, "dither-level", None),
    ("space", 3, "space", "3"),  # looked up by name: the library's words
    ("dither", 1, "dither", "1"),
    ("skip_if_larger", "yes", "skip-if-larger", "yes"),
    ("fixed", [(1.5, 2, 3)], "fixed", (1.5, 2, 3)),
    ("fixed", [(300, 0, 0)], "fixed", (300, 0, 0)),
    ("fixed", [(-1, 0, 0)], "fixed", (-1, 0, 0)),
    ("fixed", [(1, 2)], "fixed", (1, 2)),
    ("fixed", [5], "fixed", 5),
    ("fixed", 5, "fixed", 5),
])
def test_bad_option_values_raise_the_modules_error_naming_option_and_value(option, value, subject,
                                                                           shown):
    with pytest.raises(quantize.InvalidArgumentError) as e:
        quantize.quantize(TINY, **{option: value})
    # Worded as the command's errors: "<option>: must be ... (got <value>)".
    assert e.value.subject == subject and str(e.value) == subject + ": " + e.value.cause
    assert e.value.cause.startswith("must be ") and e.value.cause.endswith(f"(got {shown!r})")


@pytest.mark.parametrize("option, value, flag", [
    ("sample", -1, "--sample"),
    ("fixed", "#12345", "--fixed"),
])
def test_bad_option_values_say_what_the_command_says(tmp_path, option, value, flag):
    with pytest.raises(quantize.InvalidArgumentError) as e:
        quantize.quantize(TINY, **{option: value})
    cli = subprocess.run([CLI, KODIM, f"{flag}={value}", "-o", str(tmp_path / "x.png")],
                         capture_output=True, text=True)
    assert cli.returncode != 0
    # The same words but for the value, which Python shows as Python writes it.
    assert re.sub(r"\(got .*\)$", "", e.value.cause) in cli.stderr


def test_a_value_too_long_to_show_is_named_by_its_type():
    with pytest.raises(quantize.InvalidArgumentError) as e:
        quantize.quantize(TINY, k=quantize.read(KODIM))
    assert e.value.subject == "colors" and e.value.cause.endswith("(got a numpy.ndarray)")
    with pytest.raises(quantize.InvalidArgumentError, match="^threads: "):
        quantize.read(KODIM, threads="2")


def test_option_values_python_and_numpy_spell_are_taken():
    plain = quantize.quantize(TINY, k=4, seed=3, tolerance=1, sample=0,
                              fixed=[(0, 0, 0), "#ffffff"])
    spelled = quantize.quantize(TINY, k=np.int64(4), seed=np.uint64(3), tolerance=np.float32(1),
                                sample=np.int32(0), fixed=[np.array([0, 0, 0], np.uint8), "#fff"])
    assert np.array_equal(plain.palette, spelled.palette)
    listed = quantize.quantize(TINY, k=4, seed=3, tolerance=1, sample=0, fixed="#000, #fff")
    assert np.array_equal(plain.palette, listed.palette)
    assert quantize.quantize(TINY, k=4, seed=2**64 - 1).palette.shape == (4, 3)


def test_no_images_or_no_pixels_are_invalid_arguments():
    with pytest.raises(quantize.InvalidArgumentError) as e:
        quantize.palette([], k=4)
    assert e.value.subject == "arrays" and "no images" in e.value.cause
    for empty in [np.zeros((0, 0, 3), np.uint8), np.zeros((5, 0, 4), np.uint8)]:
        with pytest.raises(quantize.InvalidArgumentError) as e:
            quantize.quantize(empty, k=4)
        assert e.value.subject == "array" and str(empty.shape) in e.value.cause
        with pytest.raises(quantize.InvalidArgumentError, match="^arrays: .*shape"):
            quantize.palette([TINY, empty], k=4)


@pytest.mark.parametrize("option, outside", [
    ("k", 0), ("max_iter", 0), ("restarts", -1), ("tolerance", 256), ("dither_level", 2),
])
def test_a_wrong_type_is_told_the_range_the_library_checks(option, outside):
    # The range a wrong type is told ("1..256") is the one the library refuses outside of
    # ("between 1 and 256"): the two texts must not drift apart.
    with pytest.raises(quantize.InvalidArgumentError) as wrong_type:
        quantize.quantize(TINY, **{option: "x"})
    with pytest.raises(quantize.InvalidArgumentError) as out_of_range:
        quantize.quantize(TINY, **{option: outside})
    low, high = re.search(r"between (\d+)\D*? and (\d+)", out_of_range.value.cause).groups()
    assert re.search(rf"\b{low}\.\.{high}\b", wrong_type.value.cause)
