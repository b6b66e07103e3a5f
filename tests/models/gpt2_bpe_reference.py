#!/usr/bin/env python3
"""Independent reference for attnscope's GPT-2 byte-level BPE tokenizer (tests/models).

Written from GPT-2's published algorithm (bytes_to_unicode, the pre-split regex, BPE by merge rank
with every occurrence of the best pair merged left to right), in Python with the `regex` module for
the Unicode classes. It trains a SMALL vocabulary on a fixed corpus and pins the ids of hard strings:

  data/vocab.json, data/merges.txt      GPT-2 layout
  data/tokenizer.json                   Hugging Face layout, merges as "a b" strings
  data/tokenizer_pairs.json             the same, merges as ["a", "b"] pairs (newer tokenizers)
  data/expected.json                    {"cases": [{"name", "text", "ids"}]}
  data/merges_shuffled.txt              the same merges in a seeded random order (not training order)
  data/expected_random.json             random strings of hard characters: ids with both merge lists

Rerun (Debian: apt-get install python3-regex) from this folder:  python3 gpt2_bpe_reference.py
The output is deterministic; commit the files in data/ when they change.
"""
import json
import os
import random

import regex

PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
NUM_MERGES = 320
HERE = os.path.dirname(os.path.abspath(__file__))


def bytes_to_unicode():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def symbols_of(piece):
    return [BYTE_TO_CHAR[b] for b in piece.encode("utf-8")]


def train(corpus, num_merges):
    """Plain BPE training: most frequent adjacent pair, ties by the smaller pair."""
    words = {}
    for piece in PATTERN.findall(corpus):
        key = tuple(symbols_of(piece))
        words[key] = words.get(key, 0) + 1
    merges = []
    for _ in range(num_merges):
        counts = {}
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                counts[pair] = counts.get(pair, 0) + n
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
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


def bpe(symbols, ranks):
    """GPT-2's encoder.py step: the lowest-ranked pair present, all its occurrences, repeat."""
    word = list(symbols)
    while len(word) > 1:
        pairs = set(zip(word, word[1:]))
        best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        out, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and word[i] == best[0] and word[i + 1] == best[1]:
                out.append(best[0] + best[1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        word = out
    return word


def encode(text, vocab, ranks):
    ids = []
    for piece in PATTERN.findall(text):
        ids.extend(vocab[s] for s in bpe(symbols_of(piece), ranks))
    return ids


def decode(ids, inverse):
    return bytes(CHAR_TO_BYTE[c] for i in ids for c in inverse[i]).decode("utf-8")


CORPUS = """\
The quick brown fox jumps over the lazy dog. It's what they've said: we'll see, you'd think
they're right, I'm sure, don't worry. IT'S LOUD, SHE'S HERE. Hello, world! Hello again, world.
the theory of the thing; there, then, these, those, thought, through, together, the end.
café naïve résumé façade Zürich São Paulo déjà vu — “quotes” and ‘single’ quotes… ok.
日本語のテキストです。中文字符和汉字。한국어 텍스트. 日本 日本 中文 中文
😀 😀 😀 👍🏽 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ ❤️ 🎉🎉
numbers 123 456 7890 3.14159 2024 1,000,000 x1 y2 z3
    indented code:
        return value
\tline\twith\ttabs
windows\r\nline\r\nendings
"""

CASES = [
    ("empty", ""),
    ("plain", "Hello world"),
    ("sentence", "The quick brown fox jumps over the lazy dog."),
    ("contractions", "it's they've we'll you'd they're I'm don't"),
    ("contractions_upper", "IT'S THEY'VE WE'LL YOU'D THEY'RE I'M DON'T"),
    ("contractions_bare", "'s't're've'm'll'd's 'S 'T ''s"),
    ("contraction_after_space", "the dog 's bone ' s"),
    ("emoji", "😀"),
    ("emoji_skin_tone", "👍🏽 ok👍🏿"),
    ("emoji_zwj_family", "👨‍👩‍👧‍👦"),
    ("emoji_flag_heart", "🇫🇷❤️🎉"),
    ("emoji_glued", "hi😀there😀😀"),
    ("cjk", "日本語のテキストです。"),
    ("cjk_chinese_korean", "中文字符和汉字。한국어 텍스트"),
    ("accents_composed", "café naïve résumé Zürich"),
    ("accents_combining", "cafe\u0301 nai\u0308ve Zu\u0308rich"),
    ("quotes_dashes", "— “quotes” ‘single’ … «guillemets»"),
    ("spaces_run", "a    b"),
    ("spaces_trailing", "end   "),
    ("spaces_leading", "   start"),
    ("spaces_only", "     "),
    ("single_space", " "),
    ("tabs_newlines", "line1\n\nline2\tx\t\ty\n"),
    ("crlf", "a\r\nb\r\n\r\nc"),
    ("mixed_whitespace", " \t \n x \n\n y"),
    ("digits_letters", "abc123def 4567 x1y2 3.14159 1,000,000"),
    ("digits_unicode", "٣٤٥ ²³ ½ Ⅻ"),
    ("nbsp", "a\u00a0b \u00a0 c\u00a0\u00a0d"),
    ("unicode_spaces", "a\u3000b\u2009c\u202fd\u205fe\u1680f\u2028g\u2029h"),
    ("control_spaces", "a\x0bb\x0cc\x1cd\x1de\x1ef\x1fg\x85h"),
    ("mongolian_vowel_separator", "a\u180eb \u180e"),
    ("punctuation", "Hello!!! ... ??? (x) [y] {z} #tag @user $5 100%"),
    ("special_token_as_text", "<|endoftext|> done"),
    ("nul_and_controls", "a\x00b\x01\x7f c"),
    ("long_word", "Supercalifragilisticexpialidocious" * 20),
    ("long_run_of_a", "a" * 1000),
    ("long_spaces", " " * 300 + "x"),
    ("paragraph", CORPUS),
]


RANDOM_ALPHABET = list("the quick brown fox'sS'tT're've'm'll'd 0123456789 .,!?;:-\t\n\r") + [
    "\u00a0", "\u3000", "\u2009", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u180e", "\u2028", "é",
    "e\u0301", "ï", "日", "本", "語", "中", "한", "😀", "👍", "🏽", "\u200d", "👨", "🇫", "🇷", "❤",
    "\ufe0f", "٣", "²", "½", "Ⅻ", "—", "“", "…", "\x00", "\x7f", "\ufffd", "ß", "Ж", "α", "\U00010348"] + \
    ["the", "there", "thought", "through", "ing", "er", "re", "or", "de", "Hello", "world", " the", "  ",
     "000", "日本", "中文", "😀", "👍🏽", "café", "résumé", "you'd", "they're"]


def random_cases(vocab, ranks, shuffled_ranks, count=150):
    rng = random.Random(12)
    cases = []
    for _ in range(count):
        text = "".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randint(1, 24)))
        cases.append({"text": text, "ids": encode(text, vocab, ranks),
                      "ids_shuffled": encode(text, vocab, shuffled_ranks)})
    return cases


def main():
    merges = train(CORPUS, NUM_MERGES)
    order = list(BYTE_TO_CHAR.values())
    vocab = {c: i for i, c in enumerate(order)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab["<|endoftext|>"] = len(vocab)
    ranks = {pair: r for r, pair in enumerate(merges)}
    inverse = {i: s for s, i in vocab.items()}

    data = os.path.join(HERE, "data")
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(data, "merges.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    for name, as_pairs in (("tokenizer.json", False), ("tokenizer_pairs.json", True)):
        doc = {
            "version": "1.0",
            "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>", "special": True}],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True},
            "decoder": {"type": "ByteLevel"},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "vocab": vocab,
                      "merges": [[a, b] if as_pairs else f"{a} {b}" for a, b in merges]},
        }
        with open(os.path.join(data, name), "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)

    cases = []
    for name, text in CASES:
        ids = encode(text, vocab, ranks)
        assert decode(ids, inverse) == text, name
        cases.append({"name": name, "text": text, "ids": ids})
    with open(os.path.join(data, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, ensure_ascii=True, indent=0)
    shuffled = list(merges)
    random.Random(7).shuffle(shuffled)
    with open(os.path.join(data, "merges_shuffled.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n")
        for a, b in shuffled:
            f.write(f"{a} {b}\n")
    shuffled_ranks = {pair: r for r, pair in enumerate(shuffled)}
    with open(os.path.join(data, "expected_random.json"), "w", encoding="utf-8") as f:
        json.dump({"cases": random_cases(vocab, ranks, shuffled_ranks)}, f, ensure_ascii=False,
                  separators=(",", ":"))
    print(f"{len(vocab)} tokens, {len(merges)} merges, {len(cases)} cases written to {data}")


if __name__ == "__main__":
    main()
