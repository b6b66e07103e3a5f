#!/usr/bin/env python3
"""Independent reference for attnscope's Hugging Face tokenizer.json tokenizers (HfTokenizer).

Written from the semantics of the Hugging Face `tokenizers` library (added tokens split out of the
raw text first, leftmost-longest; the normalizer per remaining piece; the pre-tokenizers; BPE with
one merge at a time, lowest rank first and leftmost among equal ranks; byte fallback; the
post-processor's template; the decoders), in plain Python with the `regex` module for the split
patterns (used as the files write them: no translation of \\s or anything else) and `unicodedata`
for NFC. It TRAINS small vocabularies on a fixed multilingual corpus, writes real-layout
tokenizer.json files, then runs them through an interpreter of those same files:

  data/hf/llama3/            byte-level BPE, Split(Llama 3 regex) + ByteLevel(use_regex false),
                             ignore_merges, added <|begin_of_text|> <|end_of_text|> (+ one lstrip/
                             rstrip token), post-processor Sequence[ByteLevel, TemplateProcessing(BOS)]
  data/hf/llama3_shuffled/   the same with the merges in a seeded random order (one merge at a time
                             matters: GPT-2's all-occurrences merging differs on some cases)
  data/hf/qwen2/             NFC normalizer, Qwen2's one-digit regex, added <|endoftext|> <|im_start|>
                             <|im_end|> and one normalized (non-special) token, ByteLevel post-processor
  data/hf/llama2/            SentencePiece-style: normalizer Sequence[Prepend(▁), Replace(" " → ▁)],
                             pre_tokenizer null, BPE byte_fallback + fuse_unk, <unk> <s> </s> <0x00>…
                             <0xFF> = 0…258, TemplateProcessing(<s>), decoder Replace/ByteFallback/
                             Fuse/Strip (+ tokenizer_config.json)
  data/hf/llama2_metaspace/  the same model with pre_tokenizer Metaspace(prepend_scheme "first")
                             instead of the normalizer, Metaspace decoder
  data/hf/smollm2/           Digits(individual_digits) + ByteLevel(use_regex true, GPT-2's regex)

Each folder has expected.json: {"cases": [{"name", "text", "ids", "text_ids", "decoded"}]} where
`ids` include the post-processor's special tokens, `text_ids` do not, and `decoded` is what the
file's decoder makes of `text_ids`. Random strings of hard characters (seeded) follow the named
cases. Rerun (Debian: apt-get install python3-regex) from this folder:
    python3 hf_tokenizer_reference.py
The output is deterministic; commit the files in data/hf/ when they change.
"""
import json
import os
import random
import unicodedata

import regex

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "hf")

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
                 r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SPACE_MARK = "\u2581"  # ▁


def bytes_to_unicode():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}
WHITE_SPACE = regex.compile(r"\s")  # the `regex` module's \s is Unicode White_Space


def is_white_space(c):
    return WHITE_SPACE.fullmatch(c) is not None


# --- the interpreter -------------------------------------------------------------------------
# A "piece" is [text, original_start, tokens_or_None]; original_start is where the piece's text
# began in the input (what Metaspace's prepend_scheme "first" looks at).


def split_added(pieces, added, use_normalized):
    """Cut the added tokens (normalized == use_normalized) out of pieces that have no tokens:
    the leftmost match wins, the longest at that position; lstrip / rstrip take the whitespace
    next to the match along (never what an earlier match took)."""
    cands = [t for t in added if t["normalized"] == use_normalized]
    out = []
    for text, origin, toks in pieces:
        if toks is not None or not cands:
            out.append([text, origin, toks])
            continue
        pos, done = 0, 0
        while pos < len(text):
            best = None
            for t in cands:
                c = t["match"]
                if text.startswith(c, pos) and (best is None or len(c) > len(best["match"])):
                    best = t
            if best is None:
                pos += 1
                continue
            start, stop = pos, pos + len(best["match"])
            if best["lstrip"]:
                while start > done and is_white_space(text[start - 1]):
                    start -= 1
            if best["rstrip"]:
                while stop < len(text) and is_white_space(text[stop]):
                    stop += 1
            if done < start:
                out.append([text[done:start], origin + done, None])
            out.append([text[start:stop], origin + start, [best["id"]]])
            done = pos = stop
        if done < len(text):
            out.append([text[done:], origin + done, None])
    return [p for p in out if p[0]]


def literal_or_regex(pattern):
    if "String" in pattern:
        return regex.compile(regex.escape(pattern["String"]))
    return regex.compile(pattern["Regex"])


def normalize(norm, text):
    if norm is None:
        return text
    kind = norm["type"]
    if kind == "Sequence":
        for n in norm["normalizers"]:
            text = normalize(n, text)
        return text
    if kind in ("NFC", "NFD", "NFKC", "NFKD"):
        return unicodedata.normalize(kind, text)
    if kind == "Prepend":
        return norm["prepend"] + text if text else text
    if kind == "Replace":
        return literal_or_regex(norm["pattern"]).sub(lambda m: norm["content"], text)
    raise ValueError(kind)


def split_by(matches_of, text, behavior):
    """(text pieces) of `text` cut at the matches, with the library's delimiter behaviours."""
    marks, prev = [], 0
    for s, e in matches_of(text):
        if prev != s:
            marks.append(((prev, s), False))
        marks.append(((s, e), True))
        prev = e
    if prev != len(text):
        marks.append(((prev, len(text)), False))
    if behavior == "Isolated":
        spans = [span for span, _ in marks]
    elif behavior == "MergedWithNext":
        spans, previous = [], False
        for (s, e), is_match in reversed(marks):
            if is_match and not previous and spans:
                spans[-1] = (s, spans[-1][1])
            else:
                spans.append((s, e))
            previous = is_match
        spans.reverse()
    elif behavior == "Contiguous":
        spans, previous = [], False
        for (s, e), is_match in marks:
            if is_match == previous and spans:
                spans[-1] = (spans[-1][0], e)
            else:
                spans.append((s, e))
            previous = is_match
    else:
        raise ValueError(behavior)
    return [(s, e) for s, e in spans if e > s]


def pre_tokenize(pre, pieces):
    """pieces: [(text, original_start)] → the same after `pre`; ByteLevel maps to its alphabet."""
    if pre is None:
        return pieces
    kind = pre["type"]
    if kind == "Sequence":
        for p in pre["pretokenizers"]:
            pieces = pre_tokenize(p, pieces)
        return pieces
    out = []
    for text, origin in pieces:
        if kind == "Split":
            assert pre["behavior"] == "Isolated" and not pre["invert"]
            rx = literal_or_regex(pre["pattern"])
            for s, e in split_by(lambda t: [m.span() for m in rx.finditer(t)], text, "Isolated"):
                out.append((text[s:e], origin + s))
        elif kind == "Digits":
            behavior = "Isolated" if pre["individual_digits"] else "Contiguous"
            numeric = [(i, i + 1) for i, c in enumerate(text) if unicodedata.category(c) in ("Nd", "Nl", "No")]
            for s, e in split_by(lambda t: numeric, text, behavior):
                out.append((text[s:e], origin + s))
        elif kind == "ByteLevel":
            assert not pre["add_prefix_space"]
            parts = [(text, origin)]
            if pre["use_regex"]:
                rx = regex.compile(GPT2_PATTERN)
                parts = [(text[s:e], origin + s) for s, e in
                         split_by(lambda t: [m.span() for m in rx.finditer(t)], text, "Isolated")]
            out.extend(("".join(BYTE_TO_CHAR[b] for b in t.encode("utf-8")), o) for t, o in parts)
        elif kind == "Metaspace":
            mark = pre["replacement"]
            t = text.replace(" ", mark)
            scheme = pre.get("prepend_scheme", "always")
            if not t.startswith(mark) and (scheme == "always" or (scheme == "first" and origin == 0)):
                t = mark + t  # (only used with no normalizer: original offsets = text offsets + 1)
                shift = -1
            else:
                shift = 0
            if pre.get("split", True):
                for s, e in split_by(lambda u: [(i, i + 1) for i, c in enumerate(u) if c == mark], t,
                                     "MergedWithNext"):
                    out.append((t[s:e], origin + max(0, s + shift)))
            else:
                out.append((t, origin))
        else:
            raise ValueError(kind)
    return out


def bpe_merge(ids, merges):
    """The library's Word::merge_all without dropout: repeatedly the adjacent pair with the lowest
    (rank, position), one occurrence at a time."""
    ids = list(ids)
    while True:
        best = None
        for i in range(len(ids) - 1):
            m = merges.get((ids[i], ids[i + 1]))
            if m is not None and (best is None or m[0] < best[0]):
                best = (m[0], i, m[1])
        if best is None:
            return ids
        _, i, new_id = best
        ids[i:i + 2] = [new_id]


def bpe_merge_all_occurrences(ids, merges):
    """GPT-2's encoder.py step, for contrast only: the lowest-ranked pair, every occurrence."""
    ids = list(ids)
    while True:
        ranked = [merges[p] for p in zip(ids, ids[1:]) if p in merges]
        if not ranked:
            return ids
        rank, new_id = min(ranked)
        pair = next(p for p, m in merges.items() if m == (rank, new_id))
        out, i = [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
                out.append(new_id)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        ids = out


def model_tokenize(model, vocab, merges, word, merge):
    if not word:
        return []
    if model.get("ignore_merges") and word in vocab:
        return [vocab[word]]
    symbols, unk = [], None
    unk_id = vocab.get(model["unk_token"]) if model.get("unk_token") else None
    for c in word:
        if c in vocab:
            if unk is not None:
                symbols.append(unk)
                unk = None
            symbols.append(vocab[c])
            continue
        if model.get("byte_fallback"):
            codes = ["<0x%02X>" % b for b in c.encode("utf-8")]
            if all(code in vocab for code in codes):
                symbols.extend(vocab[code] for code in codes)
                continue
        if unk_id is not None:
            if unk is not None and not model.get("fuse_unk"):
                symbols.append(unk)
            unk = unk_id
    if unk is not None:
        symbols.append(unk)
    return merge(symbols, merges)


class Tokenizer:
    def __init__(self, doc, merge=bpe_merge):
        self.doc = doc
        self.merge = merge
        model = doc["model"]
        self.vocab = dict(model["vocab"])
        self.merges = {}
        for rank, m in enumerate(model["merges"]):
            a, b = m.split(" ") if isinstance(m, str) else m
            self.merges[(self.vocab[a], self.vocab[b])] = (rank, self.vocab[a + b])
        self.added = []
        for t in doc["added_tokens"]:
            match = normalize(doc["normalizer"], t["content"]) if t["normalized"] else t["content"]
            self.added.append(dict(t, match=match))
        self.id_to_token = {i: s for s, i in self.vocab.items()}
        for t in doc["added_tokens"]:
            self.id_to_token[t["id"]] = t["content"]

    def encode_text(self, text):
        doc = self.doc
        pieces = split_added([[text, 0, None]], self.added, False)
        for p in pieces:
            if p[2] is None:
                p[0] = normalize(doc["normalizer"], p[0])
        pieces = split_added(pieces, self.added, True)
        ids = []
        for text_, origin, toks in pieces:
            if toks is not None:
                ids.extend(toks)
                continue
            for word, _ in pre_tokenize(doc["pre_tokenizer"], [(text_, origin)]):
                ids.extend(model_tokenize(doc["model"], self.vocab, self.merges, word, self.merge))
        return ids

    def post_process(self, ids):
        return post_process(self.doc["post_processor"], ids)

    def decode(self, ids):
        tokens = [self.id_to_token[i] for i in ids]
        dec = self.doc["decoder"]
        if dec is None:
            return " ".join(tokens)
        return "".join(decode_chain(dec, tokens))


def post_process(pp, ids):
    if pp is None or pp["type"] == "ByteLevel":
        return ids
    if pp["type"] == "Sequence":
        for p in pp["processors"]:
            ids = post_process(p, ids)
        return ids
    assert pp["type"] == "TemplateProcessing"
    out = []
    for item in pp["single"]:
        if "Sequence" in item:
            out.extend(ids)
        else:
            out.extend(pp["special_tokens"][item["SpecialToken"]["id"]]["ids"])
    return out


def decode_chain(dec, tokens):
    kind = dec["type"]
    if kind == "Sequence":
        for d in dec["decoders"]:
            tokens = decode_chain(d, tokens)
        return tokens
    if kind == "ByteLevel":
        data = bytearray()
        for t in tokens:
            if all(c in CHAR_TO_BYTE for c in t):
                data.extend(CHAR_TO_BYTE[c] for c in t)
            else:
                data.extend(t.encode("utf-8"))
        return [data.decode("utf-8", errors="replace")]
    if kind == "Replace":
        rx = literal_or_regex(dec["pattern"])
        return [rx.sub(lambda m: dec["content"], t) for t in tokens]
    if kind == "ByteFallback":
        out, pending = [], bytearray()

        def flush():
            if pending:
                try:
                    out.append(pending.decode("utf-8"))
                except UnicodeDecodeError:
                    out.extend("\ufffd" for _ in pending)
                pending.clear()
        for t in tokens:
            m = regex.fullmatch(r"<0x([0-9A-Fa-f]{2})>", t)
            if m:
                pending.append(int(m.group(1), 16))
            else:
                flush()
                out.append(t)
        flush()
        return out
    if kind == "Fuse":
        return ["".join(tokens)]
    if kind == "Strip":
        out = []
        for t in tokens:
            s, e = 0, len(t)
            while s < dec["start"] and s < e and t[s] == dec["content"]:
                s += 1
            k = 0
            while k < dec["stop"] and e > s and t[e - 1] == dec["content"]:
                e -= 1
                k += 1
            out.append(t[s:e])
        return out
    if kind == "Metaspace":
        mark = dec["replacement"]
        scheme = dec.get("prepend_scheme", "always")
        return ["".join(("" if (i == 0 and scheme != "never") else " ") if c == mark else c for c in t)
                for i, t in enumerate(tokens)]
    raise ValueError(kind)


# --- training ----------------------------------------------------------------------------------

CORPUS = """\
The quick brown fox jumps over the lazy dog. It's what they've said: we'll see, you'd think
they're right, I'm sure, don't worry. IT'S LOUD, SHE'S HERE, DON'T STOP. Hello, world! Hello again.
the theory of the thing; there, then, these, those, thought, through, together, the end.
café naïve résumé façade Zürich São Paulo déjà vu — “quotes” and ‘single’ quotes… ok.
日本語のテキストです。中文字符和汉字。한국어 텍스트. 日本 日本 中文 中文 東京 東京
مرحبا بالعالم. هذا نص عربي قصير. مرحبا مرحبا
नमस्ते दुनिया। यह हिंदी पाठ है। नमस्ते नमस्ते
😀 😀 😀 👍🏽 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ ❤️ 🎉🎉
numbers 123 456 7890 3.14159 2024 12345 1,000,000 x1 y2 z3 42 42 42
    indented code:
        return value
\tline\twith\ttabs
windows\r\nline\r\nendings
x\u180ey x\u180ey a\u180eb a\u180eb \u180eb \u180eb
"""


def train(words, merges_wanted, alphabet):
    """Plain BPE training on (word symbols → count): the most frequent adjacent pair of symbols,
    ties by the smaller pair; symbols outside `alphabet`-derived ones never merge."""
    words = {tuple(w): n for w, n in words.items()}
    merges = []
    known = set(alphabet)
    for _ in range(merges_wanted):
        counts = {}
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                if pair[0] in known and pair[1] in known:
                    counts[pair] = counts.get(pair, 0) + n
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        known.add(best[0] + best[1])
        merged = {}
        for word, n in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + n
        words = merged
    return merges


def count_words(doc, text):
    """The model-alphabet words the file's own normalizer and pre-tokenizer make of `text`."""
    words = {}
    for w, _ in pre_tokenize(doc["pre_tokenizer"], [(normalize(doc["normalizer"], text), 0)]):
        words[w] = words.get(w, 0) + 1
    return words


def added(id_, content, special=True, normalized=False, lstrip=False, rstrip=False):
    return {"id": id_, "content": content, "single_word": False, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def byte_level_doc(pattern, normalizer, merges_wanted, extra_words, pre=None):
    doc = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": normalizer,
        "pre_tokenizer": pre or {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": {}, "merges": []},
    }
    alphabet = [BYTE_TO_CHAR[b] for b in range(256)]
    merges = train(count_words(doc, CORPUS), merges_wanted, alphabet)
    vocab = {c: i for i, c in enumerate(alphabet)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    for w in extra_words:  # whole words no merge chain reaches (as in converted tiktoken vocabularies)
        vocab.setdefault("".join(BYTE_TO_CHAR[b] for b in w.encode("utf-8")), len(vocab))
    doc["model"]["vocab"] = vocab
    doc["model"]["merges"] = [f"{a} {b}" for a, b in merges]
    return doc


def template(bos, bos_id):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}}}


def llama3_doc():
    doc = byte_level_doc(LLAMA3_PATTERN, None, 300, ["DON", " hello", " worldwide", "12", "123"])
    doc["model"]["ignore_merges"] = True
    n = len(doc["model"]["vocab"])
    doc["added_tokens"] = [added(n, "<|begin_of_text|>"), added(n + 1, "<|end_of_text|>"),
                           added(n + 2, "<|reserved_special_token_0|>"),
                           added(n + 3, "<mask>", special=False, lstrip=True, rstrip=True)]
    doc["post_processor"] = {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        template("<|begin_of_text|>", n)]}
    return doc


def qwen2_doc():
    doc = byte_level_doc(QWEN2_PATTERN, {"type": "NFC"}, 300, [])
    doc["model"]["continuing_subword_prefix"] = ""
    doc["model"]["end_of_word_suffix"] = ""
    n = len(doc["model"]["vocab"])
    # "café" is matched on the NFC text, so a decomposed "cafe\u0301" finds it too.
    doc["added_tokens"] = [added(n, "<|endoftext|>"), added(n + 1, "<|im_start|>"), added(n + 2, "<|im_end|>"),
                           added(n + 3, "café", special=False, normalized=True)]
    doc["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                             "use_regex": False}
    return doc


def smollm2_doc():
    pre = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
    doc = byte_level_doc(None, None, 250, [], pre=pre)
    n = len(doc["model"]["vocab"])
    doc["added_tokens"] = [added(n, "<|endoftext|>"), added(n + 1, "<|im_start|>"), added(n + 2, "<|im_end|>")]
    doc["post_processor"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                             "use_regex": True}
    return doc


def llama2_docs():
    legacy = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": SPACE_MARK},
            {"type": "Replace", "pattern": {"String": " "}, "content": SPACE_MARK}]},
        "pre_tokenizer": None,
        "post_processor": template("<s>", 1),
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SPACE_MARK}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                  "vocab": {}, "merges": []},
    }
    # Training words: the text as SentencePiece sees it, cut before each ▁ (no merge spans words).
    metaspace = {"type": "Metaspace", "replacement": SPACE_MARK, "prepend_scheme": "first", "split": True}
    counts = {}
    for w, _ in pre_tokenize(metaspace, [(CORPUS, 0)]):
        counts[w] = counts.get(w, 0) + 1
    chars = {}
    for w, n in counts.items():
        for c in w:
            chars[c] = chars.get(c, 0) + n
    # Characters seen once stay out of the vocabulary: they and everything new take the byte fallback.
    alphabet = sorted(c for c, n in chars.items() if n >= 2)
    merges = train(counts, 300, alphabet)
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = 3 + b
    for c in alphabet:
        vocab.setdefault(c, len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    legacy["model"]["vocab"] = vocab
    legacy["model"]["merges"] = [f"{a} {b}" for a, b in merges]
    meta = json.loads(json.dumps(legacy))
    meta["normalizer"] = None
    meta["pre_tokenizer"] = metaspace
    meta["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Metaspace", "replacement": SPACE_MARK, "prepend_scheme": "first", "split": True},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}
    return legacy, meta


# --- cases -------------------------------------------------------------------------------------

def named_cases(special):
    """The hard strings; `special` is the layout's own added-token text."""
    return [
        ("empty", ""),
        ("plain", "Hello world"),
        ("whole_vocabulary_words", "say hello, hello worldwide"),
        ("sentence", "The quick brown fox jumps over the lazy dog."),
        ("contractions", "it's they've we'll you'd they're I'm don't"),
        ("contractions_upper", "DON'T IT'S THEY'VE WE'LL YOU'D THEY'RE I'M"),
        ("contractions_mixed_case", "it'S don'T we'Ll I'M 's 'S"),
        ("cjk", "日本語のテキストです。中文字符和汉字。"),
        ("korean", "한국어 텍스트"),
        ("arabic", "مرحبا بالعالم. هذا نص عربي."),
        ("devanagari", "नमस्ते दुनिया। यह हिंदी पाठ है।"),
        ("emoji", "😀 hi😀there😀😀"),
        ("emoji_not_in_corpus", "\U0001f642 ok \U0001f680"),
        ("emoji_skin_tone", "👍🏽 ok👍🏿"),
        ("emoji_zwj_family", "👨‍👩‍👧‍👦 family"),
        ("emoji_flags", "🇫🇷🇯🇵 flags ❤️🎉"),
        ("accents_composed", "café naïve résumé Zürich"),
        ("accents_decomposed", "cafe\u0301 nai\u0308ve re\u0301sume\u0301 Zu\u0308rich"),
        ("combining_reordered", "q\u0307\u0323 d\u0323\u0307 a\u0301\u0300"),
        ("long_mark_segments", "q" + "\u0307\u0323\u0301\u0316" * 12 + " x\u1100\u1161\u11a8" + "\u0f73" * 20 +
         " e\u0301\u0327" + "\u1100\u1161" * 3 + " a" + "\u0301" * 40 + "\u0323" +
         " a" + "\u0351\u0301" * 20 + " a\u0351\u0301"),
        ("digits_runs", "12345 3.14159 1234567 0 42x 2024-05-09"),
        ("digits_unicode", "٣٤٥ ²³ ½ Ⅻ ١٢٣٤"),
        ("spaces_run", "a    b"),
        ("spaces_leading", "   start"),
        ("spaces_trailing", "end   "),
        ("single_space", " "),
        ("spaces_only", "     "),
        ("leading_space_word", " Hello"),
        ("tabs", "\tline\twith\t\ttabs\t"),
        ("crlf", "windows\r\nline\r\n\r\nendings"),
        ("newlines", "a\n\nb\n \n c\n"),
        ("mixed_whitespace", " \t \n x \n\n y \u00a0 z\u3000w"),
        ("unicode_spaces", "a\u2009b\u202fc\u205fd\u1680e\u2028f\u2029g\x85h"),
        ("mongolian_vowel_separator", "a\u180eb \u180e"),
        # U+180E is not White_Space (the regex module's \s, Oniguruma's); PCRE2's \s takes it.
        ("mongolian_vowel_separator_runs", "x \u180e\u180ey \u180e\u180e\u180e z\u180e1\u180e\u180e\n"),
        ("punctuation", "Hello!!! ... ??? (x) [y] {z} #tag @user $5 100%"),
        ("quotes_dashes", "— “quotes” ‘single’ … «guillemets»"),
        ("special_inside", f"hi{special}there"),
        ("special_spaced", f"hi {special} there {special}"),
        ("special_only", special),
        ("special_partial", special[:-1] + " " + special[1:]),
        ("controls", "a\x00b\x01\x7f c"),
        ("private_use_and_rare", "\ue000 \U0001f9ff \U00010348 \u0e3f"),
        ("long_word", "Supercalifragilisticexpialidocious" * 8),
        ("long_run_of_a", "a" * 500),
        ("long_digits", "9" * 50),
        ("paragraph", CORPUS),
    ]


RANDOM_PARTS = list("the quick brown fox'sS'tT're've'm'llD DON'T 0123456789 .,!?;:-\t\n\r") + [
    "\u00a0", "\u3000", "\u2009", "\x0b", "\x0c", "\x1c", "\x85", "\u180e", "\u2028", "é", "e\u0301",
    "\u0301", "\u0323", "ï", "日", "本", "語", "中", "한", "😀", "👍", "🏽", "\u200d", "👨", "🇫", "🇷",
    "❤", "\ufe0f", "٣", "²", "½", "Ⅻ", "—", "“", "…", "\x00", "\x7f", "\ufffd", "ß", "Ж", "α", "م", "ر",
    "न", "म", "\u094d", "\U00010348", "\ue000"] + \
    ["the", "there", "Hello", "world", " the", "  ", "000", "3.14", "日本", "👍🏽", "café", "you'd",
     "مرحبا", "नमस्ते", "\r\n", "<", "|", ">", "<s", "</"]


def random_texts(special, seed, count=200):
    rng = random.Random(seed)
    parts = RANDOM_PARTS + [special, special[:3]]
    return [("random_%d" % i, "".join(rng.choice(parts) for _ in range(rng.randint(1, 24))))
            for i in range(count)]


def write_layout(name, doc, special, seed, config=None):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    if config is not None:
        with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, ensure_ascii=False, indent=1)
    tok = Tokenizer(doc)
    cases = []
    for case_name, text in named_cases(special) + random_texts(special, seed):
        text_ids = tok.encode_text(text)
        cases.append({"name": case_name, "text": text, "ids": tok.post_process(text_ids),
                      "text_ids": text_ids, "decoded": tok.decode(text_ids)})
    with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, ensure_ascii=True, indent=0)
    print(f"{name}: {len(doc['model']['vocab'])} tokens, {len(doc['model']['merges'])} merges, "
          f"{len(cases)} cases")
    return tok, {c["name"]: c for c in cases}


def main():
    llama3, l3 = write_layout("llama3", llama3_doc(), "<|end_of_text|>", 3)
    # The same vocabulary with the merges in a seeded random order (not training order): the
    # library merges one occurrence at a time, so a pair a merge creates can outrank the other
    # occurrences of that merge's pair (GPT-2's encoder merges them all first).
    shuffled = json.loads(json.dumps(llama3.doc))
    random.Random(11).shuffle(shuffled["model"]["merges"])
    _, l3s = write_layout("llama3_shuffled", shuffled, "<|end_of_text|>", 3)
    batch = Tokenizer(shuffled, merge=bpe_merge_all_occurrences)
    gpt2_style = sorted(k for k, c in l3s.items() if batch.encode_text(c["text"]) != c["text_ids"])
    assert gpt2_style, "one-at-a-time merging matters for the shuffled merges"
    print(f"llama3_shuffled: GPT-2's all-occurrences merging differs in {', '.join(gpt2_style)}")
    _, qw = write_layout("qwen2", qwen2_doc(), "<|endoftext|>", 2)
    write_layout("smollm2", smollm2_doc(), "<|endoftext|>", 5)
    legacy, meta = llama2_docs()
    config = {"add_bos_token": True, "add_eos_token": False,
              "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": False, "normalized": False,
                            "rstrip": False, "single_word": False},
              "eos_token": "</s>", "unk_token": "<unk>", "legacy": True}
    _, l2 = write_layout("llama2", legacy, "</s>", 7, config)
    _, l2m = write_layout("llama2_metaspace", meta, "</s>", 7)

    # The fixtures test what they claim to test.
    assert qw["accents_composed"]["text_ids"] == qw["accents_decomposed"]["text_ids"], "NFC matters"
    assert l3["accents_composed"]["text_ids"] != l3["accents_decomposed"]["text_ids"]
    no_ignore = json.loads(json.dumps(llama3.doc))
    no_ignore["model"]["ignore_merges"] = False
    plain = Tokenizer(no_ignore)
    assert any(plain.encode_text(c["text"]) != c["text_ids"] for c in l3.values()), "ignore_merges matters"
    fallback = [v for k, v in legacy["model"]["vocab"].items() if k.startswith("<0x")]
    assert any(i in fallback for i in l2["emoji_not_in_corpus"]["text_ids"]), "the emoji takes the byte fallback"
    same = [k for k in l2 if l2[k]["ids"] == l2m[k]["ids"]]
    differ = sorted(k for k in l2 if l2[k]["ids"] != l2m[k]["ids"])
    print(f"llama2 legacy vs Metaspace: {len(same)} cases equal; differ: {', '.join(differ[:12])}"
          f"{' …' if len(differ) > 12 else ''}")


if __name__ == "__main__":
    main()
