#!/usr/bin/env python3
"""attnscope's model forward beside a PyTorch float32 eager forward of the same weights, in one run
(issue 12's speed table; not part of the build).

For each shape it writes a full-width checkpoint with random weights (GPT-2 small width: 768, 12
heads, 12 layers; ViT-B/16: 768, 12 heads, 12 layers) in the real Hugging Face layout, an input of
exactly the wanted token count, then times
  * `attnscope bench --model DIR --input FILE --repeats R --json ...` (one forward that keeps every
    layer's Q/K/V), and
  * the same forward in PyTorch eager (F.linear / layer_norm / matmul-softmax-matmul per layer,
    keeping q, k, v of every layer too), torch.set_num_threads(T), warm-up then the median of R,
and prints the medians and their ratio, plus PyTorch's square-matmul GFLOP/s (so a slow reference
BLAS is visible: Debian's python3-torch needs libopenblas0-pthread). Peak RSS of attnscope is read
from /usr/bin/time when present.

  python3 tests/bench/model_forward_peer.py --attnscope build/release/app/attnscope --threads 2
"""

import argparse
import json
import math
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blas_env  # noqa: F401,E402  (the same OpenBLAS kernel as attnscope's, before torch loads it)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        b = t.contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def byte_symbols():
    """GPT-2's byte → printable-unicode table (as its tokenizer defines it): symbol → byte id."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def rnd(*shape):
    return torch.randn(*shape) * 0.02


def gpt2_weights(L, D, V, P):
    w = {"wte.weight": rnd(V, D), "wpe.weight": rnd(P, D), "ln_f.weight": torch.ones(D), "ln_f.bias": torch.zeros(D)}
    for i in range(L):
        h = f"h.{i}."
        w.update({h + "ln_1.weight": torch.ones(D), h + "ln_1.bias": torch.zeros(D),
                  h + "attn.c_attn.weight": rnd(D, 3 * D), h + "attn.c_attn.bias": rnd(3 * D),
                  h + "attn.c_proj.weight": rnd(D, D), h + "attn.c_proj.bias": rnd(D),
                  h + "ln_2.weight": torch.ones(D), h + "ln_2.bias": torch.zeros(D),
                  h + "mlp.c_fc.weight": rnd(D, 4 * D), h + "mlp.c_fc.bias": rnd(4 * D),
                  h + "mlp.c_proj.weight": rnd(4 * D, D), h + "mlp.c_proj.bias": rnd(D)})
    return w


def vit_weights(L, D, p, grid):
    e = "embeddings."
    w = {e + "cls_token": rnd(1, 1, D), e + "position_embeddings": rnd(1, 1 + grid * grid, D),
         e + "patch_embeddings.projection.weight": rnd(D, 3, p, p), e + "patch_embeddings.projection.bias": rnd(D),
         "layernorm.weight": torch.ones(D), "layernorm.bias": torch.zeros(D)}
    for i in range(L):
        h = f"encoder.layer.{i}."
        for ln in ("layernorm_before", "layernorm_after"):
            w[h + ln + ".weight"] = torch.ones(D)
            w[h + ln + ".bias"] = torch.zeros(D)
        for q in ("query", "key", "value"):
            w[h + "attention.attention." + q + ".weight"] = rnd(D, D)
            w[h + "attention.attention." + q + ".bias"] = rnd(D)
        w.update({h + "attention.output.dense.weight": rnd(D, D), h + "attention.output.dense.bias": rnd(D),
                  h + "intermediate.dense.weight": rnd(4 * D, D), h + "intermediate.dense.bias": rnd(4 * D),
                  h + "output.dense.weight": rnd(D, 4 * D), h + "output.dense.bias": rnd(D)})
    return w


def attention(q, k, v, H, causal, keep):
    N, D = q.shape
    d = D // H
    q, k, v = (t.view(N, H, d).transpose(0, 1) for t in (q, k, v))
    keep.append((q, k, v))
    s = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(d)
    if causal:
        s = s.masked_fill(torch.triu(torch.ones(N, N, dtype=torch.bool), 1), float("-inf"))
    return torch.matmul(torch.softmax(s, -1), v).transpose(0, 1).reshape(N, D)


def gpt2_forward(w, ids, L, H):
    D = w["wte.weight"].shape[1]
    h = w["wte.weight"][ids] + w["wpe.weight"][: len(ids)]
    keep = []
    for i in range(L):
        p = f"h.{i}."
        a = F.layer_norm(h, (D,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], 1e-5)
        q, k, v = torch.addmm(w[p + "attn.c_attn.bias"], a, w[p + "attn.c_attn.weight"]).split(D, 1)
        h = h + torch.addmm(w[p + "attn.c_proj.bias"], attention(q, k, v, H, True, keep), w[p + "attn.c_proj.weight"])
        a = F.layer_norm(h, (D,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], 1e-5)
        f = F.gelu(torch.addmm(w[p + "mlp.c_fc.bias"], a, w[p + "mlp.c_fc.weight"]), approximate="tanh")
        h = h + torch.addmm(w[p + "mlp.c_proj.bias"], f, w[p + "mlp.c_proj.weight"])
    return F.layer_norm(h, (D,), w["ln_f.weight"], w["ln_f.bias"], 1e-5), keep


def vit_forward(w, pixels, L, H, p, pos):
    e = "embeddings."
    D = w[e + "cls_token"].shape[2]
    x = F.conv2d(pixels[None], w[e + "patch_embeddings.projection.weight"], w[e + "patch_embeddings.projection.bias"], stride=p)
    x = x.flatten(2)[0].transpose(0, 1)
    h = torch.cat([w[e + "cls_token"][0], x]) + pos
    keep = []
    for i in range(L):
        b = f"encoder.layer.{i}."
        a = F.layer_norm(h, (D,), w[b + "layernorm_before.weight"], w[b + "layernorm_before.bias"], 1e-12)
        at = b + "attention.attention."
        q, k, v = (F.linear(a, w[at + n + ".weight"], w[at + n + ".bias"]) for n in ("query", "key", "value"))
        h = h + F.linear(attention(q, k, v, H, False, keep), w[b + "attention.output.dense.weight"], w[b + "attention.output.dense.bias"])
        a = F.layer_norm(h, (D,), w[b + "layernorm_after.weight"], w[b + "layernorm_after.bias"], 1e-12)
        f = F.gelu(F.linear(a, w[b + "intermediate.dense.weight"], w[b + "intermediate.dense.bias"]))
        h = h + F.linear(f, w[b + "output.dense.weight"], w[b + "output.dense.bias"])
    return F.layer_norm(h, (D,), w["layernorm.weight"], w["layernorm.bias"], 1e-12), keep


def median_ms(fn, repeats):
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def attnscope_ms(binary, model, inp, extra, repeats, threads, tmp):
    out = os.path.join(tmp, "bench.json")
    cmd = [binary, "bench", "--model", model, "--input", inp, "--repeats", str(repeats), "--threads", str(threads),
           "--json", out] + extra
    timed = ["/usr/bin/time", "-f", "%M"] + cmd if os.path.exists("/usr/bin/time") else cmd
    r = subprocess.run(timed, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("attnscope failed: " + r.stderr)
    rss = r.stderr.strip().splitlines()[-1] if timed is not cmd else "?"
    rec = json.load(open(out))[0]
    return rec["median_ms"], rec["n"], rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attnscope", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--keep", help="write the checkpoints into this folder (gpt2/, vit/) and keep them")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    a = torch.randn(1024, 1024)
    mm = median_ms(lambda: a @ a, 5)
    print(f"torch {torch.__version__}, {args.threads} threads, 1024^3 matmul {2 * 1024**3 / mm / 1e6:.1f} GFLOP/s")
    print(f"{'shape':<24} {'N':>5} {'attnscope ms':>13} {'torch ms':>10} {'ratio':>6} {'peak RSS MB':>12} {'weights MB':>11}")
    L, D, H = args.layers, 768, 12
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        os.makedirs(tmp, exist_ok=True)
        # GPT-2 small width: byte-level vocabulary (ids 0-255 are the bytes; no merges), 1024 positions.
        gdir = os.path.join(tmp, "gpt2")
        os.makedirs(gdir, exist_ok=True)
        w = gpt2_weights(L, D, 50257, 1024)
        write_safetensors(os.path.join(gdir, "model.safetensors"), w)
        json.dump({"model_type": "gpt2", "n_layer": L, "n_head": H, "n_embd": D, "n_positions": 1024, "vocab_size": 50257},
                  open(os.path.join(gdir, "config.json"), "w"))
        vocab = byte_symbols()
        for i in range(256, 50257):
            vocab[f"<tok{i}>"] = i
        json.dump(vocab, open(os.path.join(gdir, "vocab.json"), "w"))
        open(os.path.join(gdir, "merges.txt"), "w").write("#version: 0.2\n")
        for N in (512, 1024):
            txt = os.path.join(tmp, f"t{N}.txt")
            open(txt, "w").write("a" * N)
            ms, n, rss = attnscope_ms(args.attnscope, gdir, txt, ["--tokens", str(N)], args.repeats, args.threads, tmp)
            ids = torch.full((N,), ord("a"), dtype=torch.long)
            with torch.no_grad():
                tm = median_ms(lambda: gpt2_forward(w, ids, L, H), args.repeats)
            print(f"{'GPT-2 768x12 text':<24} {n:>5} {ms:>13.1f} {tm:>10.1f} {tm / ms:>6.2f} {int(rss) / 1024 if rss != '?' else 0:>12.0f} {os.path.getsize(os.path.join(gdir, 'model.safetensors')) / 2**20:>11.0f}")
        del w
        # ViT-B/16 at 224 (its training grid) and at 448 (native resolution: 28x28 grid, positions resampled).
        vdir = os.path.join(tmp, "vit")
        os.makedirs(vdir, exist_ok=True)
        w = vit_weights(L, D, 16, 14)
        write_safetensors(os.path.join(vdir, "model.safetensors"), w)
        json.dump({"model_type": "vit", "hidden_size": D, "num_hidden_layers": L, "num_attention_heads": H,
                   "intermediate_size": 4 * D, "image_size": 224, "patch_size": 16, "layer_norm_eps": 1e-12},
                  open(os.path.join(vdir, "config.json"), "w"))
        for side, extra in ((224, []), (448, ["--native-resolution", "--tokens", "784"])):
            img = os.path.join(tmp, f"i{side}.ppm")
            with open(img, "wb") as f:
                f.write(f"P6 {side} {side} 255\n".encode())
                f.write(torch.randint(0, 256, (side * side * 3,), dtype=torch.uint8).numpy().tobytes())
            ms, n, rss = attnscope_ms(args.attnscope, vdir, img, extra, args.repeats, args.threads, tmp)
            g = side // 16
            pos = torch.randn(1 + g * g, D) * 0.02
            pixels = torch.randn(3, side, side)
            with torch.no_grad():
                tm = median_ms(lambda: vit_forward(w, pixels, L, H, 16, pos), args.repeats)
            print(f"{'ViT-B/16 ' + str(side):<24} {n:>5} {ms:>13.1f} {tm:>10.1f} {tm / ms:>6.2f} {int(rss) / 1024 if rss != '?' else 0:>12.0f} {os.path.getsize(os.path.join(vdir, 'model.safetensors')) / 2**20:>11.0f}")


if __name__ == "__main__":
    main()
