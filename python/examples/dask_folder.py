#!/usr/bin/python3
"""Quantize every image of a folder on a Dask cluster, one task per file.

quantize.plan_batch lists the files and output names `quantize batch` would (sorted, the tree
mirrored under the output folder as .png), and each task runs quantize.quantize_file, the
command's own file-to-file pipeline: the outputs are byte for byte those of
`quantize batch SRC -o DST -k K [-r]`. The work runs in the library with the GIL released, so
one worker thread a core is enough; on a real cluster give Client the scheduler's address
instead of a LocalCluster.

    python3 dask_folder.py SRC DST [K]     # subfolders too, on a LocalCluster of 2 workers x 1 thread
"""
import os
import sys

from dask.distributed import Client, LocalCluster

import quantize


def quantize_one(pair, k, options):
    """One file, as batch does it: nothing written when the output would be larger than the
    input (batch's default; --keep-larger there is skip_if_larger=False here)."""
    source, output = pair
    os.makedirs(os.path.dirname(output), exist_ok=True)
    options = {"skip_if_larger": True, **options}
    report = quantize.quantize_file(source, output, k=k, overwrite=True, **options)
    return output, report["bytes"]["written"], report["quality"]["mse"]


def quantize_folder(client, src, dst, k=16, recursive=True, **options):
    """Runs every image file of src as a task on client's workers; returns
    [(output, written, mse)] in the order batch lists the files."""
    pairs = [(str(i), str(o)) for i, o in quantize.plan_batch([src], dst, recursive)]
    futures = client.map(quantize_one, pairs, k=k, options=options, pure=False)
    return client.gather(futures)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    k = int(sys.argv[3]) if len(sys.argv) == 4 else 16
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, \
            Client(cluster) as client:
        for output, written, mse in quantize_folder(client, sys.argv[1], sys.argv[2], k,
                                                    threads=1):
            print(f"{output}  MSE {mse:.2f}" if written else f"{output}  skipped: larger")
