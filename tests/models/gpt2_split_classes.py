#!/usr/bin/env python3
"""Per-code-point signature of GPT-2's pre-split regex under Python's `regex` module, for
test_gpt2_pretokenizer.cpp, which computes the same signature with attnscope's PCRE2 pattern.

For each code point c the signature is the number of pieces the regex makes of each probe
"a" c "a", c "1", c "!", " " c, c c " x" (joined as digits). Only code points assigned in this Python's
unicodedata (Unicode 14.0 on Debian 12, the version of Debian 12's PCRE2 10.42) are compared;
the others (unassigned, surrogates, or newer than the tables) are written as signature 0 = skip.
Output: data/split_signatures.json, run-length coded: [[first_code_point, signature], ...].
Rerun from this folder: python3 gpt2_split_classes.py
"""
import json
import os
import unicodedata

import regex

PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
PROBES = ("a{}a", "{}1", "{}!", " {}", "{}{} x")


def signature(c):
    return int("".join(str(len(PATTERN.findall(p.format(c, c)))) for p in PROBES))


def main():
    runs = []
    for cp in range(0x110000):
        c = chr(cp)
        assigned = not (0xD800 <= cp < 0xE000) and unicodedata.category(c) != "Cn"
        sig = signature(c) if assigned else 0
        if not runs or runs[-1][1] != sig:
            runs.append([cp, sig])
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "split_signatures.json")
    with open(out, "w") as f:
        json.dump({"unicode_version": unicodedata.unidata_version, "probes": PROBES, "runs": runs}, f,
                  separators=(",", ":"))
    print(f"{len(runs)} runs written to {out}")


if __name__ == "__main__":
    main()
