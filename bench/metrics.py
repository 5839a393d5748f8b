"""Image error measures shared by the benchmark suites.

MSE is per pixel, summed over R, G and B on the 0..255 scale (the k-means objective): the mean
over pixels of dR^2 + dG^2 + dB^2. Images are compared as 8-bit RGB after decoding with Pillow,
so every tool's output is judged by the same decoder.
"""

import numpy as np
from PIL import Image


def load_rgb(path):
    """The image as an (H, W, 3) uint8 array; 16-bit and grey inputs are converted by Pillow."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def mse(reference, candidate):
    a = load_rgb(reference).astype(np.int64)
    b = load_rgb(candidate).astype(np.int64)
    if a.shape != b.shape:
        raise ValueError(f"{candidate}: size {b.shape} differs from {reference}: {a.shape}")
    return float(((a - b) ** 2).sum(axis=2).mean())


def load_frames(path):
    """Every frame of an animation as shown (Pillow composites each onto the ones before:
    offsets, disposal, transparency), as (H, W, 3) uint8 arrays, and each frame's delay in ms."""
    frames, delays = [], []
    with Image.open(path) as im:
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB")))
            delays.append(im.info.get("duration", 0))
    return frames, delays


def animation_mse(reference, candidate):
    """MSE over every frame of two animations (the mean of the frames' MSE, all of one size);
    frame counts must agree."""
    a, _ = load_frames(reference)
    b, _ = load_frames(candidate)
    if len(a) != len(b):
        raise ValueError(f"{candidate}: {len(b)} frames, {reference}: {len(a)}")
    return float(np.mean([((x.astype(np.int64) - y.astype(np.int64)) ** 2).sum(axis=2).mean()
                          for x, y in zip(a, b)]))


def _srgb_to_lab(rgb):
    """(N, 3) sRGB 0..255 -> CIE L*a*b* (D65)."""
    c = rgb / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)


def delta_e_2000(lab1, lab2):
    """CIEDE2000 (Sharma, Wu & Dalal 2005) between (N, 3) arrays of L*a*b* colors."""
    L1, a1, b1 = lab1.T
    L2, a2, b2 = lab2.T
    C1, C2 = np.hypot(a1, b1), np.hypot(a2, b2)
    Cm = (C1 + C2) / 2
    G = 0.5 * (1 - np.sqrt(Cm ** 7 / (Cm ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dLp = L2 - L1
    dCp = C2p - C1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(C1p * C2p == 0, 0, dh)
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh / 2))
    Lm = (L1 + L2) / 2
    Cmp = (C1p + C2p) / 2
    hs = h1p + h2p
    hm = np.where(np.abs(h1p - h2p) > 180, np.where(hs < 360, hs + 360, hs - 360), hs) / 2
    hm = np.where(C1p * C2p == 0, hs, hm)
    T = (1 - 0.17 * np.cos(np.radians(hm - 30)) + 0.24 * np.cos(np.radians(2 * hm))
         + 0.32 * np.cos(np.radians(3 * hm + 6)) - 0.20 * np.cos(np.radians(4 * hm - 63)))
    dtheta = 30 * np.exp(-(((hm - 275) / 25) ** 2))
    Rc = 2 * np.sqrt(Cmp ** 7 / (Cmp ** 7 + 25.0 ** 7))
    Sl = 1 + 0.015 * (Lm - 50) ** 2 / np.sqrt(20 + (Lm - 50) ** 2)
    Sc = 1 + 0.045 * Cmp
    Sh = 1 + 0.015 * Cmp * T
    Rt = -np.sin(np.radians(2 * dtheta)) * Rc
    return np.sqrt((dLp / Sl) ** 2 + (dCp / Sc) ** 2 + (dHp / Sh) ** 2
                   + Rt * (dCp / Sc) * (dHp / Sh))


def mean_delta_e(reference, candidate):
    """Mean CIEDE2000 over pixels, computed once per distinct (source, output) color pair."""
    a = load_rgb(reference).reshape(-1, 3).astype(np.int64)
    b = load_rgb(candidate).reshape(-1, 3).astype(np.int64)
    pairs = (a[:, 0] << 40) | (a[:, 1] << 32) | (a[:, 2] << 24) | (b[:, 0] << 16) | (b[:, 1] << 8) | b[:, 2]
    unique, counts = np.unique(pairs, return_counts=True)
    src = np.stack([(unique >> 40) & 255, (unique >> 32) & 255, (unique >> 24) & 255], 1)
    out = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], 1)
    de = delta_e_2000(_srgb_to_lab(src.astype(float)), _srgb_to_lab(out.astype(float)))
    return float((de * counts).sum() / counts.sum())


def ssim_terms(reference, candidate):
    """Per channel (R, G, B) and pixel, the local statistics SSIM is made of (Gaussian window,
    sigma 1.5, cut at 11 x 11): (ssim, source variance, output variance, covariance) as (3, H, W)
    arrays, on 0..255."""
    from scipy.ndimage import gaussian_filter
    a = load_rgb(reference).astype(np.float64)
    b = load_rgb(candidate).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda x: gaussian_filter(x, 1.5, truncate=3.5)  # noqa: E731
    maps, vxs, vys, cxys = [], [], [], []
    for ch in range(3):
        x, y = a[:, :, ch], b[:, :, ch]
        mx, my = blur(x), blur(y)
        vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
        maps.append(((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2)))
        vxs.append(vx)
        vys.append(vy)
        cxys.append(cxy)
    return np.array(maps), np.array(vxs), np.array(vys), np.array(cxys)


def ssim(reference, candidate):
    """Mean SSIM (Wang et al. 2004: Gaussian window, sigma 1.5, cut at 11 x 11; K1 = 0.01,
    K2 = 0.03 on 0..255) of each of R, G and B, averaged over the three channels."""
    return float(ssim_terms(reference, candidate)[0].mean())


# Local source variance bands (0..255 scale, squared) of ssim_bands: flat (sky, skin) to busy.
VARIANCE_BANDS = (0, 4, 16, 64, 256, 1024, float("inf"))


def ssim_bands(reference, candidate):
    """SSIM's terms summed per band of the source's local variance (VARIANCE_BANDS, each
    channel's pixel on its own): per band [pixels, sum of SSIM, sum of source variance, sum of
    output variance, sum of covariance], over the three channels' pixels."""
    s, vx, vy, cxy = ssim_terms(reference, candidate)
    rows = []
    for lo, hi in zip(VARIANCE_BANDS[:-1], VARIANCE_BANDS[1:]):
        m = (vx >= lo) & (vx < hi)
        rows.append([float(m.sum()), float(s[m].sum()), float(vx[m].sum()), float(vy[m].sum()),
                     float(cxy[m].sum())])
    return rows


def _self_test():
    # Sharma et al. 2005, pairs 1, 7 and 17.
    pairs = [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
             ((50, 0, 0), (50, -1, 2), 2.3669),
             ((50, 2.5, 0), (73, 25, -18), 27.1492)]
    for l1, l2, want in pairs:
        got = delta_e_2000(np.array([l1], float), np.array([l2], float))[0]
        assert abs(got - want) < 1e-4, (l1, l2, got, want)


_self_test()
