#!/usr/bin/env python3
"""Random-weight checkpoints in the real Hugging Face layouts, for the model-explorer figures of docs/models.md
and the window's measurements (nothing is downloaded): a ViT whose position embeddings are 2D
sinusoids and whose Q/K projections sharpen with depth (so heads attend locally, then sparsely), and a
GPT-2 with a byte-level vocabulary (vocab.json of the 256 byte symbols, no merges). Neither is a
trained model: the figures made from them show the views, not what a trained network does.

  /usr/bin/python3 tests/bench/demo_checkpoints.py OUT [--layers 6 --heads 6 --width 96]
writes OUT/vit/ and OUT/gpt2/ (config.json, model.safetensors; GPT-2 also vocab.json, merges.txt).
Needs torch (Debian: python3-torch)."""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_forward_peer import byte_symbols, gpt2_weights, vit_weights, write_safetensors  # noqa: E402


def demo_vit(out, L, H, D, p=16, grid=14):
    os.makedirs(out, exist_ok=True)
    w = vit_weights(L, D, p, grid)
    pos = torch.zeros(1 + grid * grid, D)
    for t in range(grid * grid):
        r, c = divmod(t, grid)
        for i in range(D // 4):
            f = 1.0 / (10000 ** (4 * i / D))
            pos[1 + t, 4 * i:4 * i + 4] = torch.tensor([math.sin(r * f), math.cos(r * f), math.sin(c * f), math.cos(c * f)])
    w["embeddings.position_embeddings"] = pos[None]
    w["embeddings.patch_embeddings.projection.weight"] = torch.randn(D, 3, p, p) * 0.01
    for i in range(L):
        for q in ("query", "key"):
            w[f"encoder.layer.{i}.attention.attention.{q}.weight"] = torch.randn(D, D) * (0.15 + 0.1 * i)
    json.dump({"model_type": "vit", "hidden_size": D, "num_hidden_layers": L, "num_attention_heads": H,
               "intermediate_size": 4 * D, "image_size": grid * p, "patch_size": p, "num_channels": 3,
               "layer_norm_eps": 1e-12, "hidden_act": "gelu", "qkv_bias": True}, open(out + "/config.json", "w"))
    write_safetensors(out + "/model.safetensors", w)


def demo_gpt2(out, L, H, D, positions=1024):
    os.makedirs(out, exist_ok=True)
    w = gpt2_weights(L, D, 256, positions)
    for i in range(L):
        w[f"h.{i}.attn.c_attn.weight"] = torch.randn(D, 3 * D) * 0.08
    json.dump({"model_type": "gpt2", "n_layer": L, "n_head": H, "n_embd": D, "n_positions": positions,
               "vocab_size": 256}, open(out + "/config.json", "w"))
    write_safetensors(out + "/model.safetensors", w)
    json.dump(byte_symbols(), open(out + "/vocab.json", "w"))
    open(out + "/merges.txt", "w").write("#version: 0.2\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--width", type=int, default=96)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    demo_vit(os.path.join(a.out, "vit"), a.layers, a.heads, a.width)
    demo_gpt2(os.path.join(a.out, "gpt2"), a.layers, a.heads, a.width)


if __name__ == "__main__":
    main()
