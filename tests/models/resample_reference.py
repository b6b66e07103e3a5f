#!/usr/bin/env python3
"""Reference values for test_preprocess.cpp, written straight from the published algorithms with the
Python standard library only (no numpy, PIL or torch on the build machines), in double precision:

* Pillow's Image.resize of 8-bit RGB (libImaging/Resample.c): separable, horizontal pass first, a pass
  skipped when its side keeps its size; per output i: centre = (i + 0.5) * scale, support =
  filter_support * max(scale, 1), taps int(centre - support + 0.5) .. int(centre + support + 0.5)
  clamped to the image, weights filter((x - centre + 0.5) / max(scale, 1)) normalised to 1, then
  22-bit fixed point rounded half away from zero, accumulated from 1 << 21, shifted right by 22 and
  clamped to 0..255 after each pass. Nearest: Pillow's affine scale path, source = int(position) with
  the position accumulated from step / 2.
* torch.nn.functional.interpolate(mode="bicubic", align_corners=False) on float32 grids: without
  antialias the 4x4 cubic-convolution sum (a = -0.75, source (i + 0.5) * scale - 0.5, taps clamped to the
  border) computed directly in 2-D (not separably); with antialias the separable PIL-style filter with
  a = -0.5 and support 2 * max(scale, 1), weights normalised. scale = in / out in float32.
* transformers get_resize_output_image_size / torchvision Resize(int): long = int(edge * long / short);
  centre-crop offsets: transformers (h - ch) // 2, torchvision int(round((h - ch) / 2.0)).
* timm transforms_imagenet_eval: scale_size = math.floor(img_size / crop_pct).

Run:  python3 tests/models/resample_reference.py > tests/models/data/preprocess_reference.json
"""
import json
import math
import struct

PRECISION_BITS = 22


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---------------------------------------------------------------- Pillow filters
def box(x):
    return 1.0 if -0.5 < x <= 0.5 else 0.0


def triangle(x):
    x = abs(x)
    return 1.0 - x if x < 1.0 else 0.0


def keys(x, a):
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    if x < 2.0:
        return (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return 0.0


def sinc(x):
    if x == 0.0:
        return 1.0
    x *= math.pi
    return math.sin(x) / x


def lanczos(x):
    return sinc(x) * sinc(x / 3.0) if -3.0 <= x < 3.0 else 0.0


FILTERS = {
    "box": (box, 0.5),
    "bilinear": (triangle, 1.0),
    "bicubic": (lambda x: keys(x, -0.5), 2.0),
    "lanczos": (lanczos, 3.0),
}


def c_int(x):
    """C's (int) conversion: truncation toward zero."""
    return int(x)


def pil_coeffs(in_size, out_size, name):
    fn, fsupport = FILTERS[name]
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = fsupport * filterscale
    taps = []
    for i in range(out_size):
        centre = (i + 0.5) * scale
        lo = max(c_int(centre - support + 0.5), 0)
        hi = min(c_int(centre + support + 0.5), in_size)
        ws = [fn((x - centre + 0.5) / filterscale) for x in range(lo, hi)]
        total = sum(ws)
        if total != 0.0:
            ws = [w / total for w in ws]
        fixed = [c_int(w * (1 << PRECISION_BITS) + (0.5 if w >= 0 else -0.5)) for w in ws]
        taps.append((lo, fixed))
    return taps


def clip8(acc):
    return min(max(acc >> PRECISION_BITS, 0), 255)


def pil_resize(img, w, h, ow, oh, name):
    """img: list of rows, each a list of [r, g, b]."""
    if (ow, oh) == (w, h):
        return [[px[:] for px in row] for row in img]
    if name == "nearest":
        ax, ay = w / ow, h / oh
        xs, pos = [], ax * 0.5
        for _ in range(ow):
            xs.append(-1 if pos < 0 else int(pos))
            pos += ax
        out, pos = [], ay * 0.5
        for _ in range(oh):
            yi = -1 if pos < 0 else int(pos)
            pos += ay
            out.append([img[yi][x][:] if 0 <= yi < h and 0 <= x < w else [0, 0, 0] for x in xs])
        return out
    cur = img
    if ow != w:
        taps = pil_coeffs(w, ow, name)
        nxt = []
        for row in cur:
            orow = []
            for lo, ks in taps:
                acc = [1 << (PRECISION_BITS - 1)] * 3
                for j, k in enumerate(ks):
                    for c in range(3):
                        acc[c] += row[lo + j][c] * k
                orow.append([clip8(a) for a in acc])
            nxt.append(orow)
        cur = nxt
    if oh != h:
        taps = pil_coeffs(h, oh, name)
        width = len(cur[0])
        nxt = []
        for lo, ks in taps:
            orow = []
            for x in range(width):
                acc = [1 << (PRECISION_BITS - 1)] * 3
                for j, k in enumerate(ks):
                    for c in range(3):
                        acc[c] += cur[lo + j][x][c] * k
                orow.append([clip8(a) for a in acc])
            nxt.append(orow)
        cur = nxt
    return cur


def pattern(w, h, kind):
    img = []
    for y in range(h):
        row = []
        for x in range(w):
            if kind == "checker":  # hard 0/255 edges: the bicubic and lanczos overshoot is clipped
                v = 255 if ((x // 2) + (y // 2)) % 2 == 0 else 0
                row.append([v, 255 - v, (v + 128) % 256])
            else:
                row.append([(x * 37 + y * 91 + (x * y) % 17 * 7) % 256,
                            (x * 11 + y * 5 + 40) % 256,
                            (200 - x * 23 + y * 13) % 256])
        img.append(row)
    return img


def flat(img):
    return [v for row in img for px in row for v in px]


# ---------------------------------------------------------------- torch bicubic
def torch_scale(in_size, out_size):
    return f32(f32(in_size) / f32(out_size))


def cubic_weights_noaa(in_size, out_size):
    a = -0.75
    scale = torch_scale(in_size, out_size)
    taps = []
    for i in range(out_size):
        real = scale * (i + 0.5) - 0.5
        idx = min(math.floor(real), in_size - 1)
        t = min(max(real - idx, 0.0), 1.0)
        # Keys' kernel at distances 1 + t, t, 1 - t, 2 - t
        ws = [keys(1.0 + t, a), keys(t, a), keys(1.0 - t, a), keys(2.0 - t, a)]
        ids = [min(max(idx - 1 + k, 0), in_size - 1) for k in range(4)]
        taps.append(list(zip(ids, ws)))
    return taps


def cubic_weights_aa(in_size, out_size):
    scale = torch_scale(in_size, out_size)
    support = 2.0 * scale if scale >= 1.0 else 2.0
    inv = 1.0 / scale if scale >= 1.0 else 1.0
    max_taps = math.ceil(support) * 2 + 1
    taps = []
    for i in range(out_size):
        centre = scale * (i + 0.5)
        lo = max(int(centre - support + 0.5), 0)
        n = min(max(min(int(centre + support + 0.5), in_size) - lo, 0), max_taps)
        ws = [keys((j + lo - centre + 0.5) * inv, -0.5) for j in range(n)]
        total = sum(ws)
        if total != 0.0:
            ws = [w / total for w in ws]
        taps.append([(lo + j, ws[j]) for j in range(n)])
    return taps


def grid_resample(grid, sh, sw, gh, gw, antialias):
    """grid[r][c] is a list of D floats; returns the gh x gw grid."""
    if (sh, sw) == (gh, gw):
        return grid
    D = len(grid[0][0])
    if not antialias:  # the direct 2-D sum over 4 x 4 taps
        ty, tx = cubic_weights_noaa(sh, gh), cubic_weights_noaa(sw, gw)
        return [[[sum(wy * wx * grid[yy][xx][d] for yy, wy in ty[r] for xx, wx in tx[c]) for d in range(D)]
                 for c in range(gw)] for r in range(gh)]
    cur = grid
    if gw != sw:
        tx = cubic_weights_aa(sw, gw)
        cur = [[[sum(w * row[xx][d] for xx, w in tx[c]) for d in range(D)] for c in range(gw)] for row in cur]
    if gh != sh:
        ty = cubic_weights_aa(sh, gh)
        cur = [[[sum(w * cur[yy][c][d] for yy, w in ty[r]) for d in range(D)] for c in range(gw)] for r in range(gh)]
    return cur


def grid_input(sh, sw, D):
    return [[[f32(math.sin(0.37 * (r * sw + c) + 1.1 * d) + 0.25 * d - 0.1 * r) for d in range(D)]
             for c in range(sw)] for r in range(sh)]


# ---------------------------------------------------------------- sizes
def shortest_edge(w, h, edge):
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = edge, int(edge * long / short)
    return [new_short, new_long] if w <= h else [new_long, new_short]


def pipeline(img, w, h, resize, name, crop, halfeven, rescale, mean, std):
    """resize ("edge", n) or ("exact", w, h); returns the float32 CHW values and the geometry."""
    ow, oh = shortest_edge(w, h, resize[1]) if resize[0] == "edge" else [resize[1], resize[2]]
    r = pil_resize(img, w, h, ow, oh, name)
    cw, ch = crop
    if halfeven:
        left, top = int(round((ow - cw) / 2.0)), int(round((oh - ch) / 2.0))
    else:
        left, top = (ow - cw) // 2, (oh - ch) // 2
    chw = []
    for c in range(3):
        for y in range(ch):
            for x in range(cw):
                v = f32(r[top + y][left + x][c] * rescale)
                chw.append(f32(f32(v - f32(mean[c])) / f32(std[c])))
    return {"resized": [ow, oh], "crop_left": left, "crop_top": top, "chw": chw}


def main():
    out = {"pil": [], "grid": [], "sizes": [], "crops": [], "timm_scale": [], "pipeline": []}
    pil_cases = [
        ("smooth", 7, 5, 3, 4, "bilinear"),   # both sides shrink, non-integer ratios
        ("smooth", 7, 5, 11, 9, "bicubic"),   # both grow
        ("smooth", 10, 6, 4, 6, "bicubic"),   # width only
        ("smooth", 6, 10, 6, 3, "bilinear"),  # height only
        ("smooth", 9, 7, 5, 13, "lanczos"),   # mixed
        ("smooth", 8, 8, 3, 3, "box"),
        ("smooth", 7, 5, 10, 3, "nearest"),
        ("checker", 8, 8, 13, 5, "bicubic"),  # overshoot clipped
        ("checker", 9, 6, 4, 11, "lanczos"),
        ("smooth", 13, 11, 5, 7, "bicubic"),
        ("smooth", 5, 4, 5, 4, "bicubic"),    # identity
    ]
    for kind, w, h, ow, oh, name in pil_cases:
        img = pattern(w, h, kind)
        out["pil"].append({"w": w, "h": h, "rgb": flat(img), "ow": ow, "oh": oh, "filter": name,
                           "out": flat(pil_resize(img, w, h, ow, oh, name))})
    grid_cases = [(4, 4, 3, 6), (4, 4, 7, 7), (5, 5, 3, 3), (6, 4, 9, 2), (3, 3, 3, 5), (14, 14, 9, 20)]
    for sh, sw, gh, gw in grid_cases:
        D = 3
        g = grid_input(sh, sw, D)
        for aa in (False, True):
            res = grid_resample(g, sh, sw, gh, gw, aa)
            out["grid"].append({"sh": sh, "sw": sw, "gh": gh, "gw": gw, "D": D, "antialias": aa,
                                "in": [v for row in g for px in row for v in px],
                                "out": [v for row in res for px in row for v in px]})
    for w, h, edge in [(640, 480, 256), (480, 640, 256), (500, 375, 224), (375, 500, 224), (333, 333, 256),
                       (1000, 3, 224), (7, 3, 5), (300, 199, 248)]:
        out["sizes"].append({"w": w, "h": h, "edge": edge, "out": shortest_edge(w, h, edge)})
    for size, crop in [(256, 224), (257, 224), (259, 224), (261, 224), (224, 224), (300, 223), (298, 223)]:
        out["crops"].append({"size": size, "crop": crop, "floor": (size - crop) // 2,
                             "halfeven": int(round((size - crop) / 2.0))})
    for inp, pct in [(224, 0.875), (224, 0.9), (224, 1.0), (384, 1.0), (224, 0.95), (518, 1.0), (224, 0.96)]:
        out["timm_scale"].append({"input": inp, "crop_pct": pct, "scale": math.floor(inp / pct)})
    img = pattern(23, 17, "smooth")
    out["pipeline"].append(dict(name="hf-dinov2", w=23, h=17, rgb=flat(img), edge=12, exact=[0, 0],
                                filter="bicubic", crop=[10, 9], halfeven=False, rescale=1 / 255,
                                mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225],
                                **pipeline(img, 23, 17, ("edge", 12), "bicubic", (10, 9), False, 1 / 255,
                                           [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])))
    out["pipeline"].append(dict(name="timm", w=23, h=17, rgb=flat(img), edge=9, exact=[0, 0],
                                filter="bicubic", crop=[8, 8], halfeven=True, rescale=1 / 255,
                                mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5],
                                **pipeline(img, 23, 17, ("edge", 9), "bicubic", (8, 8), True, 1 / 255,
                                           [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])))
    out["pipeline"].append(dict(name="hf-vit", w=23, h=17, rgb=flat(img), edge=0, exact=[16, 16],
                                filter="bilinear", crop=[16, 16], halfeven=False, rescale=1 / 255,
                                mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5],
                                **pipeline(img, 23, 17, ("exact", 16, 16), "bilinear", (16, 16), False, 1 / 255,
                                           [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])))
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
