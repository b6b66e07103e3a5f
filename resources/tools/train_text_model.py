#!/usr/bin/python3
"""Trains attnscope's sample text model (resources/models/text): a small GPT-2-layout model with its
own byte-level BPE, on the GNU Coreutils manual that Debian's `coreutils` package ships
(/usr/share/info/coreutils.info.gz, GNU Free Documentation License 1.3 or later, no invariant
sections). CPU, seeded, deterministic; about 10 minutes on 2 idle cores.

    nice -n 15 /usr/bin/python3 resources/tools/train_text_model.py [--out resources/models/text]

Needs Debian's python3-torch, python3-numpy and python3-regex (the GPT-2 pre-split uses \\p{L},
\\p{N}). Writes config.json, model.safetensors (F16), vocab.json, merges.txt and training.json.

Augmentation (said in docs/models.md): half the training sequences contain a span of text followed
by itself, so that the model forms induction heads (Olsson et al. 2022) within a short run.
"""
import argparse
import collections
import gzip
import heapq
import json
import math
import os
import sys
import time

import numpy as np
import regex

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sample_models_common as common  # noqa: E402

CORPUS = "/usr/share/info/coreutils.info.gz"
# GPT-2's pre-split (docs/models.md, MODELS.md "Text: GPT-2").
PRESPLIT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
END_OF_TEXT = "<|endoftext|>"


def byte_unicode():
    """GPT-2's byte -> character map: printable ranges map to themselves, the other 68 bytes to
    256 + n in order (MODELS.md)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    order = list(printable)
    chars = list(printable)
    n = 0
    for b in range(256):
        if b not in printable:
            order.append(b)
            chars.append(256 + n)
            n += 1
    return order, {b: chr(c) for b, c in zip(order, chars)}


def read_corpus(path):
    """The manual as paragraphs: info control characters dropped, each paragraph's lines joined
    with single spaces, paragraphs separated by a blank line."""
    with gzip.open(path, "rb") as f:
        text = f.read().decode("utf-8", errors="replace")
    cut = text.find("\x1f\nTag Table:")
    if cut > 0:
        text = text[:cut]
    text = "".join(c for c in text if c in "\n\t" or (ord(c) >= 32 and ord(c) != 127))
    paragraphs, current = [], []
    for line in text.split("\n"):
        line = " ".join(line.split())
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs) + "\n"


def train_bpe(text, vocab_size):
    """Byte-level BPE: counts the pre-split words, then merges the most frequent adjacent pair
    (ties: the smaller pair of symbol ids) until the vocabulary has vocab_size - 1 entries (the last
    id is <|endoftext|>). Symbols 0..255 are bytes; merge k makes symbol 256 + k."""
    counts = collections.Counter(PRESPLIT.findall(text))
    words = [list(w.encode("utf-8")) for w in counts]
    freq = list(counts.values())
    pair_count = collections.defaultdict(int)
    pair_where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += freq[i]
            pair_where[(a, b)].add(i)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    target = vocab_size - 1 - 256
    while len(merges) < target and heap:
        negative, pair = heapq.heappop(heap)
        if pair_count.get(pair, 0) != -negative:
            continue  # stale entry
        if -negative < 2:
            break
        new = 256 + len(merges)
        merges.append(pair)
        touched = set()
        for i in pair_where.pop(pair, ()):
            w = words[i]
            if not any(w[j] == pair[0] and w[j + 1] == pair[1] for j in range(len(w) - 1)):
                continue
            for a, b in zip(w, w[1:]):
                pair_count[(a, b)] -= freq[i]
                touched.add((a, b))
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == pair[0] and w[j + 1] == pair[1]:
                    out.append(new)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for a, b in zip(out, out[1:]):
                pair_count[(a, b)] += freq[i]
                pair_where[(a, b)].add(i)
                touched.add((a, b))
        pair_count.pop(pair, None)
        for p in touched:
            c = pair_count.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_count.pop(p, None)
    return merges


class Tokenizer:
    """The files attnscope reads (vocab.json, merges.txt) and the encoder it implements: pre-split,
    bytes -> characters, merges applied lowest rank first."""

    def __init__(self, merges):
        order, to_char = byte_unicode()
        self.symbol_text = {b: to_char[b] for b in range(256)}
        for k, (a, b) in enumerate(merges):
            self.symbol_text[256 + k] = self.symbol_text[a] + self.symbol_text[b]
        self.vocab = {}
        for b in order:
            self.vocab[to_char[b]] = len(self.vocab)
        for k in range(len(merges)):
            self.vocab[self.symbol_text[256 + k]] = len(self.vocab)
        self.vocab[END_OF_TEXT] = len(self.vocab)
        self.merge_lines = [self.symbol_text[a] + " " + self.symbol_text[b] for a, b in merges]
        self.rank = {(self.symbol_text[a], self.symbol_text[b]): k for k, (a, b) in enumerate(merges)}
        self.to_char = to_char
        self.cache = {}

    def encode_word(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = [self.to_char[b] for b in word.encode("utf-8")]
        while len(parts) > 1:
            ranked = [(self.rank.get((a, b), math.inf), j) for j, (a, b) in enumerate(zip(parts, parts[1:]))]
            best = min(ranked)
            if best[0] == math.inf:
                break
            a, b = parts[best[1]], parts[best[1] + 1]
            out, j = [], 0
            while j < len(parts):
                if j + 1 < len(parts) and parts[j] == a and parts[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(parts[j])
                    j += 1
            parts = out
        ids = [self.vocab[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        out = []
        for w in PRESPLIT.findall(text):
            out.extend(self.encode_word(w))
        return out

    def write(self, folder):
        common.write_json(os.path.join(folder, "vocab.json"), self.vocab)
        common.write_atomically(os.path.join(folder, "merges.txt"),
                                "#version: 0.2\n" + "\n".join(self.merge_lines) + "\n")


def build_model(cfg):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    D, H, L, V, P = cfg["n_embd"], cfg["n_head"], cfg["n_layer"], cfg["vocab_size"], cfg["n_positions"]

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(D, eps=1e-5)
            self.ln_2 = nn.LayerNorm(D, eps=1e-5)
            self.c_attn_w = nn.Parameter(torch.randn(D, 3 * D) * 0.02)  # Conv1D: [in, out]
            self.c_attn_b = nn.Parameter(torch.zeros(3 * D))
            self.c_proj_w = nn.Parameter(torch.randn(D, D) * 0.02 / math.sqrt(2 * L))
            self.c_proj_b = nn.Parameter(torch.zeros(D))
            self.fc_w = nn.Parameter(torch.randn(D, 4 * D) * 0.02)
            self.fc_b = nn.Parameter(torch.zeros(4 * D))
            self.mproj_w = nn.Parameter(torch.randn(4 * D, D) * 0.02 / math.sqrt(2 * L))
            self.mproj_b = nn.Parameter(torch.zeros(D))

        def attention(self, x):
            B, N, _ = x.shape
            qkv = self.ln_1(x) @ self.c_attn_w + self.c_attn_b
            q, k, v = qkv.split(D, dim=-1)
            q, k, v = (t.view(B, N, H, D // H).transpose(1, 2) for t in (q, k, v))
            s = (q @ k.transpose(-1, -2)) / math.sqrt(D // H)
            mask = torch.ones(N, N, dtype=torch.bool).triu(1)
            p = s.masked_fill(mask, float("-inf")).softmax(-1)
            return p, (p @ v).transpose(1, 2).reshape(B, N, D)

        def forward(self, x):
            _, o = self.attention(x)
            x = x + o @ self.c_proj_w + self.c_proj_b
            m = F.gelu(self.ln_2(x) @ self.fc_w + self.fc_b, approximate="tanh")
            return x + m @ self.mproj_w + self.mproj_b

    class Gpt2(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Parameter(torch.randn(V, D) * 0.02)
            if cfg.get("_sinusoidal_init"):
                # Learned positions started from the sinusoids of Vaswani et al. 2017: an offset
                # (the previous token) is then a linear map away, and previous-token heads form early.
                pos = torch.arange(P, dtype=torch.float32)[:, None]
                freq = torch.exp(-math.log(10000.0) * torch.arange(0, D, 2, dtype=torch.float32) / D)
                table = torch.zeros(P, D)
                table[:, 0::2] = torch.sin(pos * freq)
                table[:, 1::2] = torch.cos(pos * freq)
                self.wpe = nn.Parameter(table * 0.03)
            else:
                self.wpe = nn.Parameter(torch.randn(P, D) * 0.01)
            self.blocks = nn.ModuleList(Block() for _ in range(L))
            self.ln_f = nn.LayerNorm(D, eps=1e-5)

        def forward(self, ids, maps=False):
            x = self.wte[ids] + self.wpe[: ids.shape[1]]
            attn = []
            for b in self.blocks:
                if maps:
                    attn.append(b.attention(x)[0])
                x = b(x)
            logits = self.ln_f(x) @ self.wte.T
            return (logits, attn) if maps else logits

        def hf_tensors(self):
            t = {"wte.weight": self.wte, "wpe.weight": self.wpe,
                 "ln_f.weight": self.ln_f.weight, "ln_f.bias": self.ln_f.bias}
            for i, b in enumerate(self.blocks):
                h = f"h.{i}."
                t.update({h + "ln_1.weight": b.ln_1.weight, h + "ln_1.bias": b.ln_1.bias,
                          h + "ln_2.weight": b.ln_2.weight, h + "ln_2.bias": b.ln_2.bias,
                          h + "attn.c_attn.weight": b.c_attn_w, h + "attn.c_attn.bias": b.c_attn_b,
                          h + "attn.c_proj.weight": b.c_proj_w, h + "attn.c_proj.bias": b.c_proj_b,
                          h + "mlp.c_fc.weight": b.fc_w, h + "mlp.c_fc.bias": b.fc_b,
                          h + "mlp.c_proj.weight": b.mproj_w, h + "mlp.c_proj.bias": b.mproj_b})
            return t

    return Gpt2()


def repeated_spans(data, rng, n):
    """n tokens made of text spans each followed by itself (span lengths 8-48), text between."""
    parts, length = [], 0
    while length < n:
        span = int(rng.integers(8, 49))
        s = int(rng.integers(0, len(data) - span))
        gap = int(rng.integers(0, 17))
        g = int(rng.integers(0, len(data) - gap))
        for piece in (data[g:g + gap], data[s:s + span], data[s:s + span]):
            parts.append(piece)
            length += len(piece)
    return np.concatenate(parts)[:n]


def repeated_random(vocab, rng, n):
    """n tokens made of random token strings (ids below `vocab`, lengths 8-64) each followed by itself."""
    parts, length = [], 0
    while length < n:
        ids = rng.integers(0, vocab, size=int(rng.integers(8, 65)))
        parts += [ids, ids]
        length += 2 * len(ids)
    return np.concatenate(parts)[:n]


def make_batch(data, rng, batch, n, repeat_fraction, dense=False, random_fraction=0.0, vocab=0):
    """Sequences of n + 1 tokens from `data`; a `repeat_fraction` of them hold a span followed by
    itself (a random text prefix, the span, the span again, then text) -- or, `dense`, are made of
    such pairs throughout (repeated_spans); before that, a `random_fraction` of them are random
    token strings each followed by itself (repeated_random)."""
    out = np.empty((batch, n + 1), dtype=np.int64)
    for i in range(batch):
        if random_fraction > 0 and rng.random() < random_fraction:
            out[i] = repeated_random(vocab, rng, n + 1)
        elif dense and rng.random() < repeat_fraction:
            out[i] = repeated_spans(data, rng, n + 1)
        elif rng.random() < repeat_fraction:
            span = int(rng.integers(8, 97))
            prefix = int(rng.integers(0, n + 1 - 2 * span))
            s = int(rng.integers(0, len(data) - span))
            chunk = data[s:s + span]
            u = int(rng.integers(0, len(data) - n))
            rest = n + 1 - prefix - 2 * span
            w = int(rng.integers(0, len(data) - rest))
            out[i] = np.concatenate([data[u:u + prefix], chunk, chunk, data[w:w + rest]])
        else:
            s = int(rng.integers(0, len(data) - n - 1))
            out[i] = data[s:s + n + 1]
    return out


def head_scores(model, vocab_size, seed=1, repeat=50):
    """Previous-token and induction scores (MATH.md "Head scores") of every head, on R random ids
    from the middle 80 % of the vocabulary repeated twice: the trainer's own estimate; the numbers
    stated in the docs are attnscope's, measured on the written files."""
    import torch

    rng = np.random.default_rng(seed)
    lo, hi = int(vocab_size * 0.1), int(vocab_size * 0.9)
    ids = rng.choice(np.arange(lo, hi), size=repeat, replace=False)
    seq = torch.tensor(np.concatenate([ids, ids])[None], dtype=torch.long)
    with torch.no_grad():
        _, maps = model(seq, maps=True)
    scores = []
    for layer, p in enumerate(maps):
        p = p[0]
        for head in range(p.shape[0]):
            a = p[head]
            t = torch.arange(1, a.shape[0])
            prev = a[t, t - 1].mean().item()
            t2 = torch.arange(repeat, 2 * repeat)
            ind = a[t2, t2 - repeat + 1].mean().item()
            scores.append({"layer": layer, "head": head, "previous_token": prev, "induction": ind})
    return scores


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "models", "text"))
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=28)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dense-repeats", action="store_true",
                    help="repeated sequences made of span pairs throughout (more copying to learn per step)")
    ap.add_argument("--sinusoidal-init", action="store_true",
                    help="start the learned position embeddings from sinusoids (else small random values)")
    ap.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (AdamW, cosine schedule)")
    ap.add_argument("--copy-warmup", type=int, default=0,
                    help="the first STEPS steps train on repeated random token strings only (then the mix)")
    ap.add_argument("--random-repeats", type=float, default=0.0,
                    help="fraction of sequences made of random token strings each followed by itself")
    args = ap.parse_args()

    import torch

    threads = common.set_threads(args.threads)
    common.seed_everything(args.seed)
    start = time.time()
    text = read_corpus(args.corpus)
    merges = train_bpe(text, args.vocab)
    tok = Tokenizer(merges)
    data = np.array(tok.encode(text), dtype=np.int32)
    bpe_seconds = time.time() - start
    print(f"corpus {len(text)} characters, {len(data)} tokens, vocabulary {len(tok.vocab)}, "
          f"BPE {bpe_seconds:.0f} s", flush=True)
    split = int(len(data) * 0.95)
    train, held = data[:split], data[split:]

    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": 2, "n_head": 4,
           "n_embd": 128, "n_positions": 256, "n_ctx": 256, "vocab_size": len(tok.vocab),
           "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
           "bos_token_id": len(tok.vocab) - 1, "eos_token_id": len(tok.vocab) - 1}
    model = build_model(dict(cfg, _sinusoidal_init=args.sinusoidal_init))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.05)
    rng = np.random.default_rng(args.seed)
    n = cfg["n_positions"]
    log = []
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = common.cosine_lr(step, args.steps, args.lr, 100)
        random_fraction = 1.0 if step < args.copy_warmup else args.random_repeats
        batch = torch.from_numpy(make_batch(train, rng, args.batch, n, 0.5, args.dense_repeats,
                                                 random_fraction, cfg["vocab_size"] - 1))
        logits = model(batch[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == args.steps - 1:
            best = max(head_scores(model, cfg["vocab_size"]), key=lambda s: s["induction"])
            print(f"step {step} loss {loss.item():.3f} best induction {best['induction']:.3f} "
                  f"(layer {best['layer']} head {best['head']}) {time.time() - start:.0f} s", flush=True)
            log.append({"step": step, "loss": round(loss.item(), 4)})

    model.eval()
    with torch.no_grad():
        hrng = np.random.default_rng(args.seed + 1)
        held_batch = torch.from_numpy(make_batch(held, hrng, 32, n, 0.0))
        logits = model(held_batch[:, :-1])
        held_loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                      held_batch[:, 1:].reshape(-1)).item()
    seconds = time.time() - start
    print(f"held-out loss {held_loss:.3f} nats/token; {seconds:.0f} s in all", flush=True)

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    tok.write(out)
    common.write_json(os.path.join(out, "config.json"), cfg)
    common.write_safetensors(os.path.join(out, "model.safetensors"), model.hf_tensors(), "F16",
                             {"format": "pt", "trained_by": "resources/tools/train_text_model.py"})
    common.write_json(os.path.join(out, "training.json"), {
        "script": "resources/tools/train_text_model.py", "seed": args.seed, "steps": args.steps, "lr": args.lr,
        "batch": args.batch, "threads": threads, "seconds": round(seconds),
        "corpus": {"file": args.corpus, "package": "coreutils",
                   "licence": "GNU Free Documentation License 1.3 or later, no invariant sections",
                   "characters": len(text), "tokens": int(len(data))},
        "position_init": "sinusoidal" if args.sinusoidal_init else "random",
        "copy_warmup_steps": args.copy_warmup,
        "augmentation": (f"{args.random_repeats:g} of the sequences are random token strings of 8-64 tokens "
                         "each followed by itself; of the rest, half " if args.random_repeats > 0 else "half the sequences ") +
                        ("are made of text spans of 8-48 tokens each followed by itself" if args.dense_repeats
                         else "hold a span of 8-96 tokens followed by itself"),
        "final_train_loss": log[-1]["loss"], "held_out_loss": round(held_loss, 4), "log": log,
        "trainer_head_scores": head_scores(model, cfg["vocab_size"])})


if __name__ == "__main__":
    main()
