"""Zero-shot captioning from text alone: a caption decoder trained on text embeddings.

A vision-language model maps images and texts into one space. A decoder
trained to turn the *text* embedding of a caption back into that caption
needs no image at all; at test time it is fed the *image* embedding
instead (ZeroNLG, MultiCapCLIP; CapDec and DeCap before them). What stands
in the way is the **modality gap**: image and text embeddings of the same
content lie in different regions of the space, so the decoder sees inputs
unlike any it was trained on. This module has the pieces of the pocket
version of that experiment:

* a word vocabulary and a tiny GRU decoder (:class:`CaptionDecoder`,
  :func:`train_decoder`, :func:`greedy_decode`), trained on text
  embeddings only, optionally with Gaussian noise injected into them
  (CapDec's remedy);
* the gap (:func:`modality_gap`) and two training-free remedies applied to
  the image embeddings: shifting them by the mean gap
  (:func:`shift_by_gap`) and projecting them onto a memory of text
  embeddings (:func:`project_to_memory`, DeCap's projection; MultiCapCLIP
  retrieves concept prompts from such a memory);
* scoring: the attributes a caption gets right against the pocket world's
  exact ground truth (:func:`parse_attributes`, :func:`attribute_scores`)
  and BLEU with sacrebleu (:func:`corpus_bleu`, :func:`sentence_bleus`);
* a second caption language, French (:func:`french_captions`, from
  ``data/templates/pocket_fr.json``, with gender agreement:
  :func:`french_agreement`), and English concept prompts for French
  captions (:func:`concept_prompt`), the input a French decoder is trained
  on when the text encoder knows only English;
* full-tier loaders of caption benchmarks in their released layouts
  (:func:`load_coco_captions`, :func:`load_multi30k`: Flickr30k images
  with French captions, the images of MultiCapCLIP's French experiments).

Taught in: notebooks/52_zero_shot_captioning.ipynb
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from zslkit.checks import check_choice, check_range
from zslkit.data import world
from zslkit.paths import data_dir

LANGUAGES = ("en", "fr")
"""Caption languages: English (the pocket world's) and French (``pocket_fr.json``)."""

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
PAD, BOS, EOS, UNK = range(4)

CORPUS_MENTION = {"colour": 1.0, "shape": 1.0, "pattern": 0.5, "size": 0.5}
"""How often the chapter's captions name each attribute (colour and shape always)."""

CONCEPT_TEMPLATE = world.Template("a photo of a {}.")
"""The English prompt a concept phrase is put in (:func:`concept_prompt`)."""

_TOKEN = re.compile(r"[a-zà-ÿœæ]+'|[a-zà-ÿœæ]+|\.")


# --------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------
def tokenize(text: str) -> list[str]:
    """Lower-case words of a caption; ``"d'"``-style elisions and the full stop are tokens.

    >>> tokenize("Une photo d'une étoile bleue.")
    ['une', 'photo', "d'", 'une', 'étoile', 'bleue', '.']
    """
    return _TOKEN.findall(text.lower())


def detokenize(tokens: Sequence[str]) -> str:
    """Join tokens back into a caption (no space after an elision or before ``"."``)."""
    out = ""
    for token in tokens:
        if out and token != "." and not out.endswith("'"):
            out += " "
        out += token
    return out


class Vocabulary:
    """Words of a caption corpus, with ``<pad>``, ``<bos>``, ``<eos>`` and ``<unk>`` first.

    ``Vocabulary.from_texts(captions)`` lists every token of the captions
    in sorted order after the four special tokens.
    """

    def __init__(self, words: Sequence[str]):
        self.words = list(SPECIALS) + [w for w in words if w not in SPECIALS]
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> "Vocabulary":
        return cls(sorted({t for text in texts for t in tokenize(text)}))

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, texts: Sequence[str], max_len: int) -> torch.Tensor:
        """(n, max_len + 2) int64 ids: ``<bos>``, the tokens, ``<eos>``, then ``<pad>``."""
        rows = []
        for text in texts:
            ids = [self.index.get(t, UNK) for t in tokenize(text)][:max_len]
            ids = [BOS, *ids, EOS]
            rows.append(ids + [PAD] * (max_len + 2 - len(ids)))
        return torch.tensor(rows, dtype=torch.int64)

    def decode(self, ids: Sequence[int]) -> str:
        """The caption of a row of ids, up to the first ``<eos>`` (specials dropped)."""
        tokens = []
        for i in ids:
            if i == EOS:
                break
            if i >= len(SPECIALS):
                tokens.append(self.words[i])
        return detokenize(tokens)


# --------------------------------------------------------------------------
# The decoder
# --------------------------------------------------------------------------
class CaptionDecoder(nn.Module):
    """A one-layer GRU language model conditioned on an embedding.

    The embedding $z$ sets the initial state $h_0 = \\tanh(W z + b)$ and is
    concatenated to every input word vector, so the decoder cannot forget
    it; each step predicts the next word. ``forward(z, tokens)`` returns
    the (n, length, vocabulary) logits of teacher forcing.
    """

    def __init__(self, vocab_size: int, embed_dim: int, word_dim: int = 32, hidden: int = 128):
        super().__init__()
        self.init = nn.Linear(embed_dim, hidden)
        self.words = nn.Embedding(vocab_size, word_dim)
        self.gru = nn.GRU(word_dim + embed_dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    def step(self, z: torch.Tensor, tokens: torch.Tensor, h: torch.Tensor):
        x = torch.cat([self.words(tokens), z[:, None].expand(-1, tokens.shape[1], -1)], -1)
        y, h = self.gru(x, h)
        return self.out(y), h

    def forward(self, z: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        h0 = torch.tanh(self.init(z))[None]
        return self.step(z, tokens, h0)[0]


def _as_tensor(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


def inject_noise(z: torch.Tensor, noise_std: float, generator: torch.Generator) -> torch.Tensor:
    """CapDec's noise injection: $z + \\epsilon$, $\\epsilon \\sim \\mathcal N(0, \\sigma^2 I)$,
    then L2-normalised again (as MultiCapCLIP's code does), so training inputs
    keep the unit norm of the test inputs."""
    if noise_std == 0:
        return z
    noisy = z + noise_std * torch.randn(z.shape, generator=generator)
    return torch.nn.functional.normalize(noisy, dim=-1)


def teacher_forced_loss(
    decoder: CaptionDecoder, z: torch.Tensor, ids: torch.Tensor
) -> torch.Tensor:
    """Mean cross-entropy of the next word over the non-padding positions."""
    logits = decoder(z, ids[:, :-1])
    return nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), ignore_index=PAD
    )


def train_decoder(
    embeddings,
    captions: Sequence[str],
    noise_std: float = 0.0,
    epochs: int = 15,
    batch_size: int = 128,
    lr: float = 3e-3,
    hidden: int = 128,
    max_len: int = 14,
    seed: int = 0,
    vocabulary: Vocabulary | None = None,
) -> tuple[CaptionDecoder, Vocabulary, list[float]]:
    """Train a :class:`CaptionDecoder` to reconstruct ``captions`` from ``embeddings``.

    Parameters
    ----------
    embeddings : (n, d) array, the text embedding of each caption (the
        decoder's input; no image enters).
    captions : n strings, the targets.
    noise_std : standard deviation $\\sigma$ of the Gaussian noise added to
        each input at every step (:func:`inject_noise`; 0: none).
    epochs, batch_size, lr : Adam on the teacher-forced cross-entropy.
    hidden : GRU state size.
    max_len : longest caption in tokens (longer ones are cut).
    seed : initialisation, batch order and noise.
    vocabulary : default :meth:`Vocabulary.from_texts` of ``captions``.

    Returns
    -------
    decoder (eval mode), vocabulary, and the mean loss of each epoch.
    """
    z = _as_tensor(embeddings)
    if z.ndim != 2 or len(z) != len(captions):
        raise ValueError(
            f"embeddings must be (n, d) with one row per caption; got shape "
            f"{tuple(z.shape)} for {len(captions)} captions"
        )
    check_range("noise_std", noise_std, 0.0, 10.0)
    check_range("epochs", epochs, 1, 10_000, integer=True)
    check_range("batch_size", batch_size, 1, 1_000_000, integer=True)
    check_range("lr", lr, 1e-7, 10.0)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    vocab = vocabulary or Vocabulary.from_texts(captions)
    ids = vocab.encode(captions, max_len)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    decoder = CaptionDecoder(len(vocab), z.shape[1], hidden=hidden)
    optimiser = torch.optim.Adam(decoder.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(z), generator=generator)
        total = 0.0
        for start in range(0, len(z), batch_size):
            batch = order[start : start + batch_size]
            loss = teacher_forced_loss(
                decoder, inject_noise(z[batch], noise_std, generator), ids[batch]
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        history.append(total / len(z))
    return decoder.eval(), vocab, history


@torch.no_grad()
def greedy_decode(
    decoder: CaptionDecoder, vocabulary: Vocabulary, embeddings, max_len: int = 14
) -> list[str]:
    """Decode each embedding by taking the most likely next word until ``<eos>``."""
    z = _as_tensor(embeddings)
    h = torch.tanh(decoder.init(z))[None]
    token = torch.full((len(z), 1), BOS, dtype=torch.int64)
    rows = []
    for _ in range(max_len + 1):
        logits, h = decoder.step(z, token, h)
        token = logits[:, -1].argmax(-1, keepdim=True)
        rows.append(token)
    ids = torch.cat(rows, 1).tolist()
    return [vocabulary.decode(row) for row in ids]


# --------------------------------------------------------------------------
# The modality gap and its remedies
# --------------------------------------------------------------------------
def _rows(x, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"{name} must be a non-empty (n, d) array, got shape {x.shape}")
    return x


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def gap_vector(image_embeddings, text_embeddings) -> np.ndarray:
    """The mean text embedding minus the mean image embedding, (d,)."""
    img, txt = (
        _rows(image_embeddings, "image_embeddings"),
        _rows(text_embeddings, "text_embeddings"),
    )
    if img.shape[1] != txt.shape[1]:
        raise ValueError(f"dimensions differ: images {img.shape[1]}, texts {txt.shape[1]}")
    return txt.mean(0) - img.mean(0)


def modality_gap(image_embeddings, text_embeddings) -> float:
    """The modality gap: the distance between the centres of the two clouds.

    $\\lVert \\bar t - \\bar v \\rVert_2$, with $\\bar v$ and $\\bar t$ the mean
    (L2-normalised) image and text embedding; images and texts need not be
    paired.
    """
    return float(np.linalg.norm(gap_vector(image_embeddings, text_embeddings)))


def shift_by_gap(image_embeddings, gap) -> np.ndarray:
    """Move every image embedding by the gap vector and L2-normalise: $(v + g)/\\lVert v + g\\rVert$."""
    img = _rows(image_embeddings, "image_embeddings")
    return _normalise(img + np.asarray(gap, dtype=np.float64)[None])


def project_to_memory(image_embeddings, memory, temperature: float = 0.01) -> np.ndarray:
    """DeCap's projection onto a memory of text embeddings.

    $\\hat v = \\sum_i w_i m_i / \\lVert \\cdot \\rVert$ with
    $w = \\operatorname{softmax}(v^\\top m_i / \\tau)$ over the memory rows
    $m_i$: a convex mixture of real text embeddings, weighted by their
    similarity to the image. As $\\tau \\to 0$ it becomes retrieval of the
    nearest text.
    """
    check_range("temperature", temperature, 1e-6, 100.0)
    img, mem = _rows(image_embeddings, "image_embeddings"), _rows(memory, "memory")
    logits = img @ mem.T / temperature
    weights = np.exp(logits - logits.max(1, keepdims=True))
    weights /= weights.sum(1, keepdims=True)
    return _normalise(weights @ mem)


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _french() -> dict:
    with open(data_dir() / "templates" / "pocket_fr.json", encoding="utf-8") as f:
        return json.load(f)


@lru_cache(maxsize=None)
def _lexicon(language: str) -> dict[str, tuple[str, str]]:
    """token -> (attribute, English value); French multi-word values by their last word."""
    if language == "en":
        return {v: (a, v) for a, values in world.ATTRIBUTES.items() for v in values}
    lang = _french()
    out = {noun: ("shape", s) for s, (noun, _) in lang["shapes"].items()}
    for attribute, key in (("colour", "colours"), ("pattern", "patterns"), ("size", "sizes")):
        for value, forms in lang[key].items():
            for form in forms:
                out[form.split()[-1]] = (attribute, value)
    return out


def parse_attributes(caption: str, language: str = "en") -> dict[str, list[str]]:
    """The attribute values a caption names, in the order they appear.

    Returns ``{attribute: [English values named]}`` for the attributes
    named at all, e.g. ``{"colour": ["red"], "shape": ["circle"]}``. French
    forms count for their English value (``"bleue"`` is ``"blue"``).
    """
    check_choice("language", language, LANGUAGES)
    lexicon = _lexicon(language)
    found: dict[str, list[str]] = {}
    for token in tokenize(caption):
        if token in lexicon:
            attribute, value = lexicon[token]
            found.setdefault(attribute, []).append(value)
    return found


def attribute_scores(
    captions: Sequence[str], truths: Sequence[Mapping[str, str]], language: str = "en"
) -> dict[str, np.ndarray]:
    """Which attributes each caption gets right, against the exact ground truth.

    An attribute is right when the caption names the true value and no
    other value of that attribute. Colour and shape count as wrong when not
    named; pattern and size are scored only where named (NaN elsewhere),
    since a caption need not mention them.

    Returns
    -------
    dict of (n,) float arrays: ``colour``, ``shape``, ``pattern``, ``size``
    (1, 0 or NaN), ``both`` (colour and shape right), ``pattern_named`` and
    ``size_named`` (1 where the caption names it).
    """
    if len(captions) != len(truths):
        raise ValueError(f"{len(captions)} captions for {len(truths)} truths: give one each")
    out = {k: np.zeros(len(captions)) for k in world.ATTRIBUTES}
    out.update({"pattern_named": np.zeros(len(captions)), "size_named": np.zeros(len(captions))})
    for i, (caption, truth) in enumerate(zip(captions, truths)):
        named = parse_attributes(caption, language)
        for attribute in world.ATTRIBUTES:
            values = set(named.get(attribute, []))
            right = float(values == {truth[attribute]})
            if attribute in ("pattern", "size"):
                out[f"{attribute}_named"][i] = float(bool(values))
                right = right if values else np.nan
            out[attribute][i] = right
    out["both"] = out["colour"] * out["shape"]
    return out


def sentence_bleus(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> np.ndarray:
    """sacrebleu's sentence BLEU (0-100) of each hypothesis against its own references."""
    import sacrebleu

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} reference lists")
    return np.array(
        [sacrebleu.sentence_bleu(h, list(r)).score for h, r in zip(hypotheses, references)]
    )


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    """sacrebleu's corpus BLEU (0-100); ``references[i]`` are the references of hypothesis i."""
    import sacrebleu

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} reference lists")
    n_refs = {len(r) for r in references}
    if len(n_refs) != 1:
        raise ValueError(f"every hypothesis needs the same number of references, got {n_refs}")
    streams = [[r[k] for r in references] for k in range(n_refs.pop())]
    return float(sacrebleu.corpus_bleu(list(hypotheses), streams).score)


# --------------------------------------------------------------------------
# Captions, English and French
# --------------------------------------------------------------------------
def object_set(n_per_object: int = 1) -> list[dict[str, str]]:
    """Every combination of colour, shape, pattern and size (512), ``n_per_object`` times each,
    as the class-major order of ``world.make_images(..., task="colour_shape_pattern_size")``."""
    check_range("n_per_object", n_per_object, 1, 10_000, integer=True)
    task = "colour_shape_pattern_size"
    return [
        world.class_attributes(name, task)
        for name in world.class_names(task)
        for _ in range(n_per_object)
    ]


def english_captions(
    objects: Sequence[Mapping[str, str]], seed: int = 0, mention_prob=CORPUS_MENTION
) -> list[str]:
    """The pocket world's captions (:func:`zslkit.data.world.captions`) with this chapter's mentions."""
    return world.captions(objects, seed=seed, mention_prob=mention_prob)


def _french_phrase(named: Mapping[str, str]) -> tuple[str, str]:
    lang = _french()
    noun, gender = lang["shapes"][named["shape"]]
    k = 0 if gender == "m" else 1
    words = [lang["sizes"][named["size"]][k]] if "size" in named else []
    words.append(noun)
    if "colour" in named:
        words.append(lang["colours"][named["colour"]][k])
    if "pattern" in named:
        words.append(lang["patterns"][named["pattern"]][k])
    return " ".join(words), gender


def french_captions(
    objects: Sequence[Mapping[str, str]], seed: int = 0, mention_prob=CORPUS_MENTION
) -> list[str]:
    """French captions of objects, from ``data/templates/pocket_fr.json``.

    The object phrase is [size] noun [colour] [pattern], every adjective and
    the article agreeing in gender with the noun: ``"une photo d'une
    grande étoile bleue à pois."``. Each attribute is named with
    ``mention_prob`` (the shape always).
    """
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    probs = world._mention_probabilities(mention_prob)
    templates = _french()["templates"]
    rng = np.random.default_rng(seed)
    out = []
    for obj in objects:
        named = {a: v for a, v in obj.items() if a == "shape" or rng.random() < probs[a]}
        phrase, gender = _french_phrase(named)
        article = "un" if gender == "m" else "une"
        text = templates[int(rng.integers(len(templates)))]
        text = text.replace("{d_un}", f"d'{article}").replace("{un}", article)
        out.append(text.replace("{}", phrase))
    return out


@lru_cache(maxsize=None)
def _french_forms() -> dict[str, set[str]]:
    """token -> the genders it can agree with ({'m'}, {'f'} or both)."""
    lang = _french()
    forms: dict[str, set[str]] = {"un": {"m"}, "une": {"f"}}
    for key in ("colours", "patterns", "sizes"):
        for masculine, feminine in lang[key].values():
            for form, gender in ((masculine, "m"), (feminine, "f")):
                forms.setdefault(form.split()[-1], set()).add(gender)
    return forms


def french_agreement(caption: str) -> bool:
    """Whether every article and adjective of a French caption agrees with its noun.

    The object phrase starts at the last ``un``/``une`` before the first
    shape noun (``"une photo d'un cercle"``: the ``une`` of ``photo`` is not
    the object's); that noun sets the gender, and the article and each
    colour, pattern and size form from there on must allow it (invariable
    words such as ``rouge`` allow both). A caption without a shape noun, or
    without an article before it, does not agree.
    """
    lang = _french()
    genders = {noun: g for noun, g in lang["shapes"].values()}
    tokens = tokenize(caption)
    nouns = [i for i, t in enumerate(tokens) if t in genders]
    articles = [i for i, t in enumerate(tokens[: nouns[0]] if nouns else []) if t in ("un", "une")]
    if not articles:
        return False
    gender = genders[tokens[nouns[0]]]
    forms = _french_forms()
    return all(gender in forms[t] for t in tokens[articles[-1] :] if t in forms)


def concept_prompt(caption: str, language: str = "fr") -> str:
    """The English concept prompt of a caption: the values it names, in English.

    ``"une grande étoile bleue."`` -> ``"a photo of a large blue star."``:
    the attribute words a caption names (:func:`parse_attributes`, first
    value of each) put in :data:`CONCEPT_TEMPLATE` in English word order.
    This is where a word lexicon (the French forms of the 22 attribute
    values, ``pocket_fr.json``) enters; no caption is translated as a whole.
    """
    named = {a: v[0] for a, v in parse_attributes(caption, language).items()}
    if "shape" not in named:
        raise ValueError(f"caption={caption!r} names no shape, so it has no concept prompt")
    return CONCEPT_TEMPLATE(world._phrase(named))


def concept_memory() -> list[str]:
    """Every English concept prompt: colour and shape, with or without pattern and size (960)."""
    prompts = []
    for colour in world.ATTRIBUTES["colour"]:
        for shape in world.ATTRIBUTES["shape"]:
            for pattern in (None, *world.ATTRIBUTES["pattern"]):
                for size in (None, *world.ATTRIBUTES["size"]):
                    named = {"colour": colour, "shape": shape}
                    named.update({"pattern": pattern} if pattern else {})
                    named.update({"size": size} if size else {})
                    prompts.append(CONCEPT_TEMPLATE(world._phrase(named)))
    return prompts


# --------------------------------------------------------------------------
# The chapter's evaluation
# --------------------------------------------------------------------------
def evaluate_captions(
    captions: Sequence[str],
    truths: Sequence[Mapping[str, str]],
    references: Sequence[Sequence[str]],
    language: str = "en",
) -> dict:
    """Every score of generated captions, per image, plus corpus BLEU.

    Returns :func:`attribute_scores`'s arrays, with ``pattern_wrong`` and
    ``size_wrong`` (1 where the caption names a wrong value: a
    hallucination), ``bleu`` (:func:`sentence_bleus`), ``agreement`` (French
    only: :func:`french_agreement`), and the float ``corpus_bleu``.
    """
    scores: dict = attribute_scores(captions, truths, language)
    for attribute in ("pattern", "size"):
        scores[f"{attribute}_wrong"] = np.nan_to_num(1.0 - scores[attribute], nan=0.0)
    scores["bleu"] = sentence_bleus(captions, references)
    if language == "fr":
        scores["agreement"] = np.array([float(french_agreement(c)) for c in captions])
    scores["corpus_bleu"] = corpus_bleu(captions, references)
    return scores


def compare_to(scores: Mapping[str, Mapping], baseline: str, metrics: Sequence[str]) -> dict:
    """Paired bootstrap intervals of each method minus ``baseline``, per metric.

    ``scores`` maps a method to :func:`evaluate_captions`'s dict (same test
    images in the same order). Returns ``{(method, metric): Interval}``
    from :func:`zslkit.stats.paired_bootstrap` over the test images.
    """
    from zslkit.stats import paired_bootstrap

    check_choice("baseline", baseline, list(scores))
    return {
        (method, metric): paired_bootstrap(s[metric], scores[baseline][metric])
        for method, s in scores.items()
        if method != baseline
        for metric in metrics
    }


def remedy_figure(intervals: Mapping, metric: str = "both", ax=None):
    """Horizontal bars of each method minus the baseline on ``metric``, with their intervals."""
    import matplotlib.pyplot as plt

    from zslkit import style

    rows = [(m, ci) for (m, k), ci in intervals.items() if k == metric]
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 0.5 + 0.45 * len(rows)))
    colours = style.colours_for([m for m, _ in rows])
    for y, (method, ci) in enumerate(rows):
        ax.barh(y, ci.estimate, color=colours[method])
        ax.errorbar(
            ci.estimate,
            y,
            xerr=[[ci.estimate - ci.low], [ci.high - ci.estimate]],
            color=style.INK,
            capsize=3,
        )
    ax.axvline(0, color=style.MUTED, lw=1)
    ax.set_yticks(range(len(rows)), [m for m, _ in rows])
    ax.set_xlabel(f"{metric} minus the plain decoder (95 % paired bootstrap)")
    return ax.figure


def gap_figure(image_embeddings, text_embeddings, ax=None):
    """The two clouds on their first two principal components, with their centres.

    The components are those of the images and texts together (numpy SVD of
    the centred union), so the gap shows as the distance between the two
    centre marks.
    """
    import matplotlib.pyplot as plt

    from zslkit import style

    img, txt = (
        _rows(image_embeddings, "image_embeddings"),
        _rows(text_embeddings, "text_embeddings"),
    )
    both = np.concatenate([img, txt])
    centre = both.mean(0)
    axes = np.linalg.svd(both - centre, full_matrices=False)[2][:2].T
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    colours = style.colours_for(["images", "texts"])
    for name, cloud in (("images", img), ("texts", txt)):
        xy = (cloud - centre) @ axes
        ax.scatter(*xy.T, s=6, alpha=0.35, color=colours[name], label=name)
        ax.scatter(*xy.mean(0), s=120, marker="X", color=colours[name], edgecolor=style.INK)
    ax.set_xlabel("first principal component")
    ax.set_ylabel("second principal component")
    ax.legend(loc="best")
    return ax.figure


# --------------------------------------------------------------------------
# Full tier: caption benchmarks on disk
# --------------------------------------------------------------------------
def _caption_root(root) -> Path:
    from zslkit.data.datasets import default_root

    return Path(root).expanduser() if root else default_root()


def load_coco_captions(
    root=None, split: str = "val2017", n_images: int | None = None
) -> tuple[list, list[list[str]]]:
    """MS-COCO captions in their released layout: image paths and each image's captions.

    Reads ``<root>/coco/annotations/captions_<split>.json`` (the official
    annotation file: ``images`` with ``id`` and ``file_name``,
    ``annotations`` with ``image_id`` and ``caption``) and pairs each image
    ``<root>/coco/<split>/<file_name>`` with its captions (five in COCO), in
    the order of ``images``. ``root`` defaults to ``$ZSLKIT_DATASETS`` or
    ``~/datasets``; ``n_images`` keeps the first images only.

    Raises FileNotFoundError (naming the path looked at) before reading
    anything when the annotation file is absent.
    """
    base = _caption_root(root) / "coco"
    path = base / "annotations" / f"captions_{split}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"coco captions: no annotation file at {path}; get annotations_trainval2017.zip "
            f"and {split}.zip from cocodataset.org and unpack them under {base}, "
            "pass root=..., or set ZSLKIT_DATASETS"
        )
    if n_images is not None:
        check_range("n_images", n_images, 1, 10**7, integer=True)
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    by_image: dict[int, list[str]] = {}
    for a in data["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a["caption"].strip())
    images = [im for im in data["images"] if im["id"] in by_image][:n_images]
    return [base / split / im["file_name"] for im in images], [by_image[im["id"]] for im in images]


def load_multi30k(
    root=None, language: str = "fr", split: str = "test_2016_flickr"
) -> tuple[list, list[str]]:
    """Multi30K (task 1) captions of one language, with the Flickr30k image of each line.

    The layout of the multi30k/dataset repository under ``<root>/multi30k``:
    ``data/task1/raw/<split>.<language>`` (or ``.gz``), one caption per line,
    aligned with ``data/task1/image_splits/<split>.txt``, one image file name
    per line; the images are in ``<root>/multi30k/flickr30k-images``.
    ``language`` is ``"fr"`` or ``"en"``. Raises FileNotFoundError naming
    the missing file.
    """
    import gzip

    check_choice("language", language, ["fr", "en"])
    base = _caption_root(root) / "multi30k"
    raw = base / "data" / "task1" / "raw" / f"{split}.{language}"
    names = base / "data" / "task1" / "image_splits" / f"{split}.txt"
    text = raw if raw.is_file() else raw.with_name(raw.name + ".gz")
    for needed in (text, names):
        if not needed.is_file():
            raise FileNotFoundError(
                f"multi30k: no file at {needed}; clone github.com/multi30k/dataset into "
                f"{base} (and unpack Flickr30k's images into {base / 'flickr30k-images'}), "
                "pass root=..., or set ZSLKIT_DATASETS"
            )
    opener = gzip.open if text.suffix == ".gz" else open
    with opener(text, "rt", encoding="utf-8") as f:
        captions = [line.strip() for line in f if line.strip()]
    with open(names, encoding="utf-8") as f:
        files = [line.strip() for line in f if line.strip()]
    if len(files) != len(captions):
        raise ValueError(
            f"multi30k: {text} has {len(captions)} captions but {names} lists {len(files)} images"
        )
    return [base / "flickr30k-images" / name for name in files], captions
