#!/usr/bin/python3
"""Trains attnscope's sample image model (resources/models/image): a small ViT in the Hugging Face
layout with a classifier, on generated images: one object (circle, square, triangle or cross, at
random) over an unsaturated textured background; the class is the object's colour (red, green,
blue, yellow), so the class shows only on the object. All drawn by this script from a seed. CPU,
seeded, deterministic; about 3 minutes on one idle core.

    nice -n 15 /usr/bin/python3 resources/tools/train_image_model.py [--out resources/models/image]

Needs Debian's python3-torch and python3-numpy. Writes config.json, preprocessor_config.json,
model.safetensors (F16), training.json, and held-out images the model never saw (another seed):
heldout/shape_K.png with heldout/shape_K_mask.png (the object's pixels, white), the first of them
also as sample.png, the model's natural source.
"""
import argparse
import math
import os
import struct
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sample_models_common as common  # noqa: E402

# The class is the object's colour; its shape is one of SHAPES at random, so the class shows only on
# the object: the CLS token has to find it.
CLASSES = ["red", "green", "blue", "yellow"]
CLASS_RGB = np.array([[0.85, 0.15, 0.12], [0.15, 0.7, 0.2], [0.15, 0.3, 0.9], [0.92, 0.85, 0.15]])
SHAPES = ["circle", "square", "triangle", "cross"]


def png_bytes(pixels):
    """uint8 [H, W, 3] or [H, W] -> PNG (8-bit RGB or grey, no filter)."""
    a = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = a.shape[:2]
    colour = 2 if a.ndim == 3 else 0
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def random_colour(rng):
    return rng.uniform(0.0, 1.0, size=3)


def background(rng, size):
    """An unsaturated textured background: stripes, checks or smooth blobs in two greys with a
    slight tint, plus noise."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    c1 = rng.uniform(0.2, 0.8) + rng.uniform(-0.06, 0.06, size=3)
    c2 = np.clip(c1 + rng.choice([-1, 1]) * rng.uniform(0.1, 0.25), 0, 1)
    kind = rng.integers(0, 3)
    if kind == 0:
        angle = rng.uniform(0, math.pi)
        period = rng.uniform(5, 14)
        t = 0.5 + 0.5 * np.sin(2 * math.pi * (x * math.cos(angle) + y * math.sin(angle)) / period)
    elif kind == 1:
        period = rng.uniform(5, 13)
        t = ((np.floor(x / period) + np.floor(y / period)) % 2).astype(np.float64)
    else:
        grid = rng.uniform(0, 1, size=(5, 5))
        gy, gx = y / (size - 1) * 4, x / (size - 1) * 4
        i0, j0 = np.minimum(gy.astype(int), 3), np.minimum(gx.astype(int), 3)
        fy, fx = gy - i0, gx - j0
        t = (grid[i0, j0] * (1 - fy) * (1 - fx) + grid[i0 + 1, j0] * fy * (1 - fx) +
             grid[i0, j0 + 1] * (1 - fy) * fx + grid[i0 + 1, j0 + 1] * fy * fx)
    img = c1[None, None, :] * (1 - t[..., None]) + c2[None, None, :] * t[..., None]
    return img + rng.normal(0, 0.04, size=img.shape)


def inside(cls, u, v, r):
    """Whether points (u, v) (object frame, centred) lie in shape `cls` (SHAPES) of half-size r."""
    if cls == 0:
        return u * u + v * v < r * r
    if cls == 1:
        return np.maximum(np.abs(u), np.abs(v)) < 0.8 * r
    if cls == 2:
        inside_all = np.ones_like(u, dtype=bool)
        for k in range(3):
            a = -math.pi / 2 + k * 2 * math.pi / 3  # outward normals of an equilateral triangle
            inside_all &= (u * math.cos(a + math.pi) + v * math.sin(a + math.pi)) < 0.5 * r
        return inside_all
    arm = 0.3 * r
    return ((np.abs(u) < arm) & (np.abs(v) < r)) | ((np.abs(v) < arm) & (np.abs(u) < r))


def make_image(rng, size, cls=None):
    """One image (uint8 [S, S, 3]), its object mask (bool [S, S]) and class (the object's colour)."""
    if cls is None:
        cls = int(rng.integers(0, len(CLASSES)))
    shape = int(rng.integers(0, len(SHAPES)))
    img = background(rng, size)
    r = rng.uniform(0.2, 0.3) * size
    cy, cx = rng.uniform(r + 1, size - r - 1, size=2)
    angle = rng.uniform(0, 2 * math.pi)
    # 2×2 samples per pixel: the coverage blends the object in (antialiased edges).
    sub = (np.arange(2) + 0.5) / 2
    yy = (np.arange(size)[:, None] + sub[None, :]).reshape(-1)
    y, x = np.meshgrid(yy, yy, indexing="ij")
    du, dv = x - cx, y - cy
    u = du * math.cos(angle) + dv * math.sin(angle)
    v = -du * math.sin(angle) + dv * math.cos(angle)
    cover = inside(shape, u, v, r).reshape(size, 2, size, 2).mean(axis=(1, 3))
    colour = np.clip(CLASS_RGB[cls] * rng.uniform(0.8, 1.1) + rng.uniform(-0.06, 0.06, size=3), 0, 1)
    fill = np.broadcast_to(colour, img.shape).copy()
    if rng.random() < 0.4:  # a striped object: its colour and a darker shade of it
        period = rng.uniform(4, 9)
        t = (np.sin(2 * math.pi * (np.arange(size)[None, :] + np.arange(size)[:, None]) / period) > 0)
        fill[t] = colour * 0.55
    img = img * (1 - cover[..., None]) + fill * cover[..., None]
    img = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    return img, cover >= 0.5, cls


def make_batch(rng, batch, size):
    imgs, masks, labels = zip(*(make_image(rng, size) for _ in range(batch)))
    return np.stack(imgs), np.stack(masks), np.array(labels)


def normalise(imgs):
    import torch

    x = torch.from_numpy(imgs).float().permute(0, 3, 1, 2) / 255.0
    return (x - 0.5) / 0.5


def build_model(cfg):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    D, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    P, S, C, FF = cfg["patch_size"], cfg["image_size"], len(cfg["id2label"]), cfg["intermediate_size"]
    eps = cfg["layer_norm_eps"]
    n = (S // P) ** 2

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.layernorm_before = nn.LayerNorm(D, eps=eps)
            self.query, self.key, self.value = nn.Linear(D, D), nn.Linear(D, D), nn.Linear(D, D)
            self.dense = nn.Linear(D, D)
            self.layernorm_after = nn.LayerNorm(D, eps=eps)
            self.intermediate = nn.Linear(D, FF)
            self.output = nn.Linear(FF, D)

        def attention(self, x):
            B, N, _ = x.shape
            a = self.layernorm_before(x)
            q, k, v = (f(a).view(B, N, H, D // H).transpose(1, 2) for f in (self.query, self.key, self.value))
            p = ((q @ k.transpose(-1, -2)) / math.sqrt(D // H)).softmax(-1)
            return p, (p @ v).transpose(1, 2).reshape(B, N, D)

        def forward(self, x):
            _, o = self.attention(x)
            x = x + self.dense(o)
            return x + self.output(F.gelu(self.intermediate(self.layernorm_after(x))))

    class Vit(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch = nn.Conv2d(3, D, kernel_size=P, stride=P)
            self.cls = nn.Parameter(torch.randn(1, 1, D) * 0.02)
            self.pos = nn.Parameter(torch.randn(1, 1 + n, D) * 0.02)
            self.layers = nn.ModuleList(Layer() for _ in range(L))
            self.layernorm = nn.LayerNorm(D, eps=eps)
            self.classifier = nn.Linear(D, C)

        def forward(self, x, maps=False):
            x = self.patch(x).flatten(2).transpose(1, 2)
            x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
            attn = []
            for layer in self.layers:
                if maps:
                    attn.append(layer.attention(x)[0])
                x = layer(x)
            logits = self.classifier(self.layernorm(x)[:, 0])
            return (logits, attn) if maps else logits

        def hf_tensors(self):
            e = "vit.embeddings."
            t = {e + "cls_token": self.cls, e + "position_embeddings": self.pos,
                 e + "patch_embeddings.projection.weight": self.patch.weight,
                 e + "patch_embeddings.projection.bias": self.patch.bias,
                 "vit.layernorm.weight": self.layernorm.weight, "vit.layernorm.bias": self.layernorm.bias,
                 "classifier.weight": self.classifier.weight, "classifier.bias": self.classifier.bias}
            for i, layer in enumerate(self.layers):
                h = f"vit.encoder.layer.{i}."
                pairs = {"layernorm_before": layer.layernorm_before, "layernorm_after": layer.layernorm_after,
                         "attention.attention.query": layer.query, "attention.attention.key": layer.key,
                         "attention.attention.value": layer.value, "attention.output.dense": layer.dense,
                         "intermediate.dense": layer.intermediate, "output.dense": layer.output}
                for name, module in pairs.items():
                    t[h + name + ".weight"] = module.weight
                    t[h + name + ".bias"] = module.bias
            return t

    return Vit()


def mass_mask(values, fraction):
    """attnscope's massMask: the fewest entries, largest first, holding `fraction` of the total."""
    order = np.argsort(-values, kind="stable")
    target = fraction * values.clip(min=0).sum()
    mask = np.zeros(values.shape, dtype=bool)
    kept = 0.0
    for i in order:
        if kept >= target:
            break
        mask[i] = True
        kept += max(0.0, values[i])
    return mask


def patch_mask(mask, patch):
    """A patch is on the object when at least half its pixels are."""
    s = mask.shape[0] // patch
    return (mask.reshape(s, patch, s, patch).mean(axis=(1, 3)) >= 0.5).reshape(-1)


def cls_iou(model, imgs, masks, patch, fraction=0.6):
    """Per head of the last layer, the mean IoU of the CLS-mass mask with the object's patches."""
    import torch

    with torch.no_grad():
        _, maps = model(normalise(imgs), maps=True)
    last = maps[-1].numpy()  # [B, H, N, N]
    ious = np.zeros(last.shape[1])
    for b in range(last.shape[0]):
        truth = patch_mask(masks[b], patch)
        for h in range(last.shape[1]):
            m = mass_mask(last[b, h, 0, 1:].astype(np.float64), fraction)
            ious[h] += (m & truth).sum() / max(1, (m | truth).sum())
    return ious / last.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "models", "image"))
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--patch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=28)
    ap.add_argument("--heldout", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import torch

    threads = common.set_threads(args.threads)
    common.seed_everything(args.seed)
    cfg = {"model_type": "vit", "architectures": ["ViTForImageClassification"], "hidden_size": 96,
           "num_hidden_layers": 3, "num_attention_heads": 4, "intermediate_size": 192, "hidden_act": "gelu",
           "layer_norm_eps": 1e-6, "image_size": args.size, "patch_size": args.patch, "num_channels": 3,
           "qkv_bias": True, "id2label": {str(i): c for i, c in enumerate(CLASSES)},
           "label2id": {c: i for i, c in enumerate(CLASSES)}}
    model = build_model(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    rng = np.random.default_rng(args.seed)
    eval_rng = np.random.default_rng(args.seed + 1000)
    eval_imgs, eval_masks, eval_labels = make_batch(eval_rng, 128, args.size)
    start = time.time()
    log = []
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = common.cosine_lr(step, args.steps, 1e-3, 50)
        imgs, _, labels = make_batch(rng, args.batch, args.size)
        loss = torch.nn.functional.cross_entropy(model(normalise(imgs)), torch.from_numpy(labels))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == args.steps - 1:
            with torch.no_grad():
                acc = (model(normalise(eval_imgs)).argmax(-1).numpy() == eval_labels).mean()
            iou = cls_iou(model, eval_imgs[:32], eval_masks[:32], args.patch)
            print(f"step {step} loss {loss.item():.3f} held-out accuracy {acc:.3f} "
                  f"CLS IoU per head {np.round(iou, 3).tolist()} {time.time() - start:.0f} s", flush=True)
            log.append({"step": step, "loss": round(loss.item(), 4), "accuracy": round(float(acc), 4)})
    seconds = time.time() - start
    with torch.no_grad():
        acc = float((model(normalise(eval_imgs)).argmax(-1).numpy() == eval_labels).mean())
    iou = cls_iou(model, eval_imgs, eval_masks, args.patch)

    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "heldout"), exist_ok=True)
    common.write_json(os.path.join(out, "config.json"), cfg)
    common.write_json(os.path.join(out, "preprocessor_config.json"), {
        "image_processor_type": "ViTImageProcessor", "do_resize": True,
        "size": {"height": args.size, "width": args.size}, "resample": 2, "do_rescale": True,
        "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5]})
    common.write_safetensors(os.path.join(out, "model.safetensors"), model.hf_tensors(), "F16",
                             {"format": "pt", "trained_by": "resources/tools/train_image_model.py"})
    # Held-out images from another seed, one per class in turn.
    held_rng = np.random.default_rng(args.seed + 2000)
    for k in range(args.heldout):
        img, mask, cls = make_image(held_rng, args.size, cls=k % len(CLASSES))
        common.write_atomically(os.path.join(out, "heldout", f"shape_{k}.png"), png_bytes(img))
        common.write_atomically(os.path.join(out, "heldout", f"shape_{k}_mask.png"),
                                png_bytes(mask.astype(np.uint8) * 255))
        if k == 0:
            common.write_atomically(os.path.join(out, "sample.png"), png_bytes(img))
    common.write_json(os.path.join(out, "training.json"), {
        "script": "resources/tools/train_image_model.py", "seed": args.seed, "steps": args.steps,
        "batch": args.batch, "threads": threads, "seconds": round(seconds), "classes": CLASSES, "shapes": SHAPES,
        "final_train_loss": log[-1]["loss"], "heldout_accuracy_128": round(acc, 4),
        "trainer_cls_iou_per_head_last_layer": [round(float(v), 4) for v in iou], "log": log})
    print(f"held-out accuracy {acc:.3f}, CLS IoU per head {np.round(iou, 3).tolist()}, {seconds:.0f} s")


if __name__ == "__main__":
    main()
