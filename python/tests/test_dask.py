"""A folder quantized on a Dask LocalCluster (2 workers x 1 thread) equals `quantize batch`."""
import os
import shutil
import subprocess
import sys

import pytest

distributed = pytest.importorskip(
    "distributed", reason="python3-distributed is not installed (the Dask example needs it)")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import dask_folder  # noqa: E402

CLI = os.environ["QUANTIZE_CLI"]
SAMPLES = os.environ["QUANTIZE_SAMPLES_DIR"]


def test_dask_run_equals_batch(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    shutil.copy(os.path.join(SAMPLES, "kodim23.png"), src / "kodim23.png")
    shutil.copy(os.path.join(SAMPLES, "basn6a08.png"), src / "sub" / "alpha.png")
    corpus = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fuzz", "corpus",
                          "fuzz_decode")
    for name in ("rgb.jpg", "rgba.tif", "lossless.webp"):
        shutil.copy(os.path.join(corpus, name), src / "sub" / name)
    subprocess.run([CLI, "batch", str(src), "-r", "-o", str(tmp_path / "batch"), "-k", "8", "-q"],
                   check=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        done = dask_folder.quantize_folder(client, str(src), str(tmp_path / "dask"), k=8)
    assert len(done) == 5
    written = [output for output, was_written, _ in done if was_written]
    assert 0 < len(written) < 5  # some outputs larger than their input: skipped by both
    assert sorted(os.path.relpath(o, tmp_path / "dask") for o in written) == sorted(
        os.path.relpath(os.path.join(d, f), tmp_path / "batch")
        for d, _, files in os.walk(tmp_path / "batch") for f in files if f.endswith(".png"))
    for output in written:
        relative = os.path.relpath(output, tmp_path / "dask")
        with open(output, "rb") as a, open(tmp_path / "batch" / relative, "rb") as b:
            assert a.read() == b.read(), relative
