"""Synthetic text in the layouts of the corpora the programs download (pure Python).

Sentences come from a small probabilistic grammar, so language models have structure to learn;
names come from per-language syllable inventories, so a classifier can tell languages apart;
"French" is a word-by-word cipher of the English side, so a translator can learn it. Everything is
seeded and deterministic. Sizes count sentences (or names, or pairs); ``SUPPORT_TRAIN_SAMPLES``
and ``SUPPORT_TEST_SAMPLES`` override the defaults.
"""
from __future__ import annotations

import os
import pathlib
import random

from .images import split_size

_DET = ["the", "a", "every", "no", "this", "that"]
_ADJ = ["old", "young", "bright", "dark", "quiet", "loud", "small", "great", "cold", "warm",
        "green", "red", "strange", "gentle", "proud", "tired"]
_NOUN = ["king", "queen", "river", "city", "soldier", "horse", "garden", "sword", "letter",
         "house", "ship", "storm", "child", "song", "mountain", "road", "castle", "friend",
         "army", "night"]
_VERB = ["sees", "finds", "loves", "fears", "guards", "leaves", "follows", "remembers", "builds",
         "crosses", "hears", "carries"]
_ADV = ["slowly", "again", "today", "alone", "soon", "never", "quickly"]
_PREP = ["near", "under", "beyond", "with", "without", "across"]


def _noun_phrase(rng: random.Random) -> list[str]:
    words = [rng.choice(_DET)]
    if rng.random() < 0.5:
        words.append(rng.choice(_ADJ))
    words.append(rng.choice(_NOUN))
    if rng.random() < 0.2:
        words += [rng.choice(_PREP)] + _noun_phrase(rng)
    return words


def sentence(rng: random.Random) -> str:
    words = _noun_phrase(rng) + [rng.choice(_VERB)] + _noun_phrase(rng)
    if rng.random() < 0.3:
        words.append(rng.choice(_ADV))
    return " ".join(words) + " ."


def write_wikitext(path: str | os.PathLike, train_lines: int | None = None,
                   eval_lines: int | None = None) -> pathlib.Path:
    """``train.txt``, ``valid.txt``, ``test.txt`` in WikiText-2's layout (headings, paragraphs)."""
    root = pathlib.Path(path)
    root.mkdir(parents=True, exist_ok=True)
    sizes = {"train": train_lines or split_size(True, 400),
             "valid": eval_lines or split_size(False, 60), "test": eval_lines or split_size(False, 60)}
    for seed, (split, lines) in enumerate(sizes.items()):
        rng = random.Random(seed)
        out = []
        for i in range(lines):
            if i % 20 == 0:
                out += ["", f" = The {rng.choice(_ADJ).title()} {rng.choice(_NOUN).title()} = ", ""]
            out.append(" " + " ".join(sentence(rng) for _ in range(rng.randint(1, 3))) + " ")
        (root / f"{split}.txt").write_text("\n".join(out) + "\n", encoding="utf-8")
    return root


_SPEAKERS = ["KING", "QUEEN", "HAMLET", "ROMEO", "JULIET", "MERCUTIO", "FIRST CITIZEN", "PORTIA"]


def shakespeare_like(lines: int | None = None, seed: int = 0) -> str:
    """Tiny-Shakespeare's layout: ``SPEAKER:`` lines followed by verse, blank line between."""
    rng = random.Random(seed)
    count = lines or split_size(True, 600)
    parts = []
    while count > 0:
        verse = [sentence(rng).capitalize() for _ in range(rng.randint(1, 4))]
        parts.append(rng.choice(_SPEAKERS) + ":\n" + "\n".join(verse) + "\n")
        count -= len(verse)
    return "\n".join(parts)


LANGUAGES = ["Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek", "Irish",
             "Italian", "Japanese", "Korean", "Polish", "Portuguese", "Russian", "Scottish",
             "Spanish", "Vietnamese"]


def write_names(path: str | os.PathLike, per_language: int | None = None) -> pathlib.Path:
    """``<Language>.txt`` files with one name per line (the char-RNN tutorial's data/names)."""
    root = pathlib.Path(path)
    root.mkdir(parents=True, exist_ok=True)
    count = per_language or max(split_size(True, 40) // len(LANGUAGES), 4)
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiouy"
    for k, language in enumerate(LANGUAGES):
        rng = random.Random(100 + k)
        own_c = rng.sample(consonants, 5)
        own_v = rng.sample(vowels, 2)
        syllables = [c + v for c in own_c for v in own_v]
        ending = rng.choice(["ov", "ez", "son", "ini", "ko", "ez", "ler", "as", "an", "ou"])
        names = set()
        while len(names) < count:
            parts = rng.choices(syllables, k=rng.randint(2, 3))
            names.add(("".join(parts) + (ending if rng.random() < 0.6 else "")).capitalize())
        (root / f"{language}.txt").write_text("\n".join(sorted(names)) + "\n", encoding="utf-8")
    return root


_SUBJECTS = [("i am", "je suis"), ("he is", "il est"), ("she is", "elle est"),
             ("you are", "vous etes"), ("we are", "nous sommes"), ("they are", "ils sont"),
             ("i m", "je suis"), ("he s", "il est"), ("she s", "elle est"), ("you re", "tu es"),
             ("we re", "nous sommes"), ("they re", "elles sont")]
_STATES = [("tired", "fatigue"), ("happy", "heureux"), ("cold", "froid"), ("ready", "pret"),
           ("hungry", "affame"), ("busy", "occupe"), ("late", "en retard"), ("sick", "malade"),
           ("young", "jeune"), ("strong", "fort"), ("sad", "triste"), ("lucky", "chanceux"),
           ("very", "tres"), ("not", "pas"), ("still", "encore"), ("here", "ici"),
           ("a teacher", "un professeur"), ("a doctor", "un medecin"), ("at home", "a la maison"),
           ("in the garden", "dans le jardin")]


def write_eng_fra(path: str | os.PathLike, pairs: int | None = None) -> pathlib.Path:
    """``eng-fra.txt``: tab-separated ``English<TAB>French`` lines, as the seq2seq tutorial reads.

    Most English sides start with the tutorial's ``eng_prefixes``; some do not (they are the
    ones its ``filterPairs`` drops).
    """
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    lines = []
    for _ in range(pairs or split_size(True, 600)):
        if rng.random() < 0.1:
            lines.append("Go now.\tVa maintenant.")
            continue
        en_subject, fr_subject = rng.choice(_SUBJECTS)
        chosen = rng.sample(_STATES, rng.randint(1, 3))
        english = " ".join([en_subject] + [e for e, _ in chosen])
        french = " ".join([fr_subject] + [f for _, f in chosen])
        english = english.replace("i m", "I'm", 1) if english.startswith("i m") else english
        lines.append(f"{english.capitalize()}.\t{french.capitalize()} !")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
