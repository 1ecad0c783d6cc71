"""A small reader of the WordNet 3.0 database files (nouns).

WordNet groups words into synsets (one meaning each), gives every synset a
gloss (a short definition) and links synsets by relations such as
hypernymy ("a sandal is a kind of shoe"). Two chapters use it: Part I embeds
glosses as class descriptions, and Part IV builds a text-attributed graph
from it. The files come from the Debian packages ``wordnet-base`` and
``wordnet-sense-index`` (``/usr/share/wordnet``); any folder holding
``index.noun`` and ``data.noun`` in the same format (the Princeton
``dict/`` folder) works through ``root=`` or ``ZSLKIT_WORDNET``.

The database format is documented in ``man 5 wndb``: a line of ``data.noun``
starts at the byte offset that names the synset, so a synset is read with one
seek.

Taught in: notebooks/11_semantic_spaces.ipynb (glosses as class semantics).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEBIAN_ROOT = Path("/usr/share/wordnet")

# man 5 lexnames: the lexicographer file of each synset, i.e. its supersense
LEXNAMES = (
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
)


@dataclass(frozen=True)
class Synset:
    """One noun synset: ``offset`` (its id), ``words``, ``lexname`` (supersense), ``gloss``, ``hypernyms`` (offsets)."""

    offset: int
    words: tuple[str, ...]
    lexname: str
    gloss: str
    hypernyms: tuple[int, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.words[0].replace("_", " ")

    @property
    def definition(self) -> str:
        """The gloss without its quoted usage examples."""
        return self.gloss.split('; "')[0].strip()


def wordnet_root(root: str | os.PathLike | None = None) -> Path:
    """The folder with ``index.noun`` and ``data.noun``; a clear error when absent."""
    candidates = [Path(root).expanduser()] if root else []
    if not root and os.environ.get("ZSLKIT_WORDNET"):
        candidates.append(Path(os.environ["ZSLKIT_WORDNET"]).expanduser())
    if not root:
        candidates.append(DEBIAN_ROOT)
    for folder in candidates:
        if (folder / "index.noun").exists() and (folder / "data.noun").exists():
            return folder
    raise FileNotFoundError(
        f"WordNet files index.noun and data.noun not found in {[str(c) for c in candidates]}. "
        "Install the Debian packages wordnet-base and wordnet-sense-index, or pass root= (or set "
        "ZSLKIT_WORDNET to) a WordNet 3.0 dict/ folder."
    )


@lru_cache(maxsize=4)
def _index(folder: str) -> dict[str, tuple[int, ...]]:
    """lemma -> synset offsets in sense order (most frequent sense first)."""
    index = {}
    with open(Path(folder) / "index.noun", encoding="utf-8") as f:
        for line in f:
            if line.startswith(" "):  # licence header
                continue
            parts = line.split()
            lemma, n_synsets, n_pointers = parts[0], int(parts[2]), int(parts[3])
            offsets = parts[6 + n_pointers : 6 + n_pointers + n_synsets]
            index[lemma] = tuple(int(o) for o in offsets)
    return index


def _parse(line: str) -> Synset:
    head, _, gloss = line.partition(" | ")
    parts = head.split()
    offset, lex_filenum = int(parts[0]), int(parts[1])
    n_words = int(parts[3], 16)
    words = tuple(parts[4 + 2 * i].lower() for i in range(n_words))
    at = 4 + 2 * n_words
    n_pointers = int(parts[at])
    pointers = [parts[at + 1 + 4 * i : at + 5 + 4 * i] for i in range(n_pointers)]
    hypernyms = tuple(int(p[1]) for p in pointers if p[0] in ("@", "@i") and p[2] == "n")
    return Synset(offset, words, LEXNAMES[lex_filenum], gloss.strip(), hypernyms)


class WordNet:
    """Noun synsets of one WordNet installation.

    >>> wn = WordNet()                      # doctest: +SKIP
    >>> wn.synsets("sandal")[0].definition  # doctest: +SKIP
    'a shoe consisting of a sole fastened by straps to the foot'
    """

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = wordnet_root(root)
        self._data = open(self.root / "data.noun", "rb")  # noqa: SIM115 - kept open for seeks
        self._cache: dict[int, Synset] = {}
        self._all: list[Synset] | None = None

    def close(self) -> None:
        self._data.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def synset(self, offset: int) -> Synset:
        """The synset stored at byte ``offset`` of ``data.noun``."""
        if offset not in self._cache:
            self._data.seek(offset)
            line = self._data.readline().decode("utf-8")
            if not line or int(line.split(" ", 1)[0]) != offset:
                raise KeyError(f"no noun synset at offset {offset} in {self.root / 'data.noun'}")
            self._cache[offset] = _parse(line)
        return self._cache[offset]

    def synsets(self, word: str) -> list[Synset]:
        """Noun synsets of ``word`` (spaces or underscores, any case), most frequent sense first; [] if unknown."""
        lemma = word.strip().lower().replace(" ", "_")
        return [self.synset(o) for o in _index(str(self.root)).get(lemma, ())]

    def lookup(self, name: str) -> Synset:
        """First noun sense of a class name, trying the whole name, then its parts and their last word.

        "T-shirt/top" tries "t-shirt/top", "t-shirt", "top"; "ankle boot" tries "ankle boot", then "boot".
        """
        tried = []
        for candidate in _candidates(name):
            tried.append(candidate)
            found = self.synsets(candidate)
            if found:
                return found[0]
        raise KeyError(f"{name!r} is not a WordNet noun (tried {tried})")

    def all_synsets(self) -> list[Synset]:
        """Every noun synset, in file order (82,115 in WordNet 3.0; read once, in about a second)."""
        if self._all is None:
            self._data.seek(0)
            for raw in self._data:
                if not raw.startswith(b" "):  # licence header
                    synset = _parse(raw.decode("utf-8"))
                    self._cache.setdefault(synset.offset, synset)
            self._all = sorted(self._cache.values(), key=lambda s: s.offset)
        return list(self._all)

    def hypernym_paths(self, offset: int, max_depth: int = 30) -> list[list[Synset]]:
        """Every path from the synset up to a root, the synset first."""
        start = self.synset(offset)
        if not start.hypernyms or max_depth == 0:
            return [[start]]
        return [
            [start] + path
            for h in start.hypernyms
            for path in self.hypernym_paths(h, max_depth - 1)
        ]


def _candidates(name: str) -> list[str]:
    name = name.strip().lower()
    out = [name]
    for part in name.replace("/", " / ").split(" / "):
        part = part.strip()
        out += [part, part.split()[-1] if part.split() else part]
    seen, unique = set(), []
    for c in out:
        if c and c not in seen:
            seen.add(c)
            unique.append(c)
    return unique


@lru_cache(maxsize=4)
def default_wordnet(root: str | None = None) -> WordNet:
    """A shared :class:`WordNet` for ``root`` (the Debian path by default)."""
    return WordNet(root)


def glosses(class_names: list[str], root: str | os.PathLike | None = None) -> dict[str, str]:
    """``{class_name: definition of its first WordNet noun sense}``."""
    wn = default_wordnet(str(root) if root else None)
    return {c: wn.lookup(c).definition for c in class_names}
