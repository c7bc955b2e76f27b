#!/usr/bin/env python3
"""The template matching of crystal.match written with numpy, for the speed comparison in
bench/crystal.ts (which writes the inputs: frames, the polar sampling table and the folded
templates, exactly as nodes/crystal/polar.ts and matcher.ts build them).

Per pattern: bilinear polar sampling, ring mean removed, clip at 0, power, Friedel fold; then every
template's correlation over all in-plane angles at once as one gather F[off + angle] of shape
(cells, half), weighted and summed per template with np.add.reduceat, and the best (template,
angle). Prints JSON: CPU ms per pattern (one core: BLAS threads pinned to 1), wall ms too,
and the best template of every pattern (bench/crystal.ts checks they agree with snem's).

usage: python3 bench/crystal_match_numpy.py DIR
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402


def main(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    frames = np.load(os.path.join(d, "frames.npy")).astype(np.float32)
    idx = np.load(os.path.join(d, "idx.npy"))
    fx = np.load(os.path.join(d, "fx.npy"))
    fy = np.load(os.path.join(d, "fy.npy"))
    start = np.load(os.path.join(d, "start.npy"))
    off = np.load(os.path.join(d, "off.npy"))
    wt = np.load(os.path.join(d, "wt.npy"))
    n_rings, n_theta, w, power = meta["nRings"], meta["nTheta"], meta["w"], meta["power"]
    half = n_theta // 2
    valid = idx >= 0
    i0 = np.where(valid, idx, 0)
    gather = off[:, None] + np.arange(half)[None, :]
    starts = start[:-1]
    nonempty = start[1:] > starts
    n = frames.shape[0]
    best_t = np.empty(n, dtype=np.int64)
    best_phi = np.empty(n, dtype=np.int64)
    flat_frames = frames.reshape(n, -1)

    t0 = time.perf_counter()
    c0 = time.process_time()
    for k in range(n):
        f = flat_frames[k]
        a, b, c, e = f[i0], f[i0 + 1], f[i0 + w], f[i0 + w + 1]
        top = a + fx * (b - a)
        v = top + fy * (c + fx * (e - c) - top)
        v = np.where(valid, v, np.nan).reshape(n_rings, n_theta)
        mean = np.nanmean(v, axis=1, keepdims=True)
        p = np.nan_to_num(v - mean, nan=0.0)
        p = np.maximum(p, 0.0) ** power
        folded = p[:, :half] + p[:, half:]
        F = np.concatenate([folded, folded], axis=1).ravel()
        contrib = F[gather] * wt[:, None]
        acc = np.add.reduceat(contrib, starts[nonempty], axis=0)
        scores = np.full((len(starts), half), -np.inf, dtype=np.float32)
        scores[nonempty] = acc
        flat = int(np.argmax(scores))
        best_t[k], best_phi[k] = divmod(flat, half)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(json.dumps({"msPerPattern": 1000 * cpu / n, "wallMsPerPattern": 1000 * dt / n, "patterns": n, "numpy": np.__version__, "bestTemplate": best_t.tolist()}))


if __name__ == "__main__":
    main(sys.argv[1])
