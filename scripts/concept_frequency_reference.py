"""Reference run of chapter 25: ToyCLIP 2s on a longer schedule, each with its own concept frequencies.

Chapter 25 pretrains three ToyCLIPs for 100 steps of 64 pairs. This script
pretrains more of them (``n_models``), each for a longer schedule, on the
same pocket-web corpus and with the same randomised assignment of
frequencies to colours (model ``k``: ``log_spaced_weights(colours, span,
seed=seed + k)``, the notebook's first models are its first ones), and
keeps, per model and colour, the captions of its pretraining stream that
name the colour (synonyms included) and how many of the colour's test
images the model names right. It writes
``data/concept_frequency_reference.json`` (re-run: one command, about 10
minutes on one CPU thread):

    .venv/bin/python scripts/concept_frequency_reference.py

Taught in: notebooks/25_concept_frequency.ipynb
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

CONFIG = {
    "n_models": 8,
    "n_steps": 250,
    "batch_size": 128,
    "seed": 0,
    "corpus": "web",
    "attribute": "colour",
    "span": 100.0,
    "n_per_class": 20,
}
"""Everything that changes the output (the notebook's parameters of the same names)."""

COMMAND = ".venv/bin/python scripts/concept_frequency_reference.py"
OUT = Path(__file__).resolve().parents[1] / "data" / "concept_frequency_reference.json"


def run(config: dict, threads: int = 1) -> dict:
    """Pretrain ``n_models`` ToyCLIPs and count mentions and hits; return the JSON to write."""
    from zslkit.data import world
    from zslkit.lab import toyclip
    from zslkit.lab.experiments import pretrain_concept_models
    from zslkit.vlm.concept_frequency import (
        concept_accuracy,
        count_concept_mentions,
        log_spaced_weights,
    )

    torch.set_num_threads(threads)
    attribute, seed = config["attribute"], config["seed"]
    concepts = list(world.ATTRIBUTES[attribute])
    classes = world.load_split("default")["classes"]
    images, labels = world.make_images(
        classes, config["n_per_class"], seed=seed + toyclip.EVAL_SEED
    )
    of_class = [concepts.index(world.class_attributes(c)[attribute]) for c in classes]
    test_concepts = np.array(of_class)[labels]
    totals = np.bincount(test_concepts, minlength=len(concepts))
    phrases = [f"{c} shape" if attribute == "colour" else c for c in concepts]
    count = functools.partial(count_concept_mentions, concepts=concepts, corpus=config["corpus"])
    models = []
    for k in range(config["n_models"]):
        weights = log_spaced_weights(concepts, config["span"], seed=seed + k)
        start = time.time()
        predictions, mentions = pretrain_concept_models(
            [weights],
            phrases,
            images,
            config["n_steps"],
            config["batch_size"],
            seed + k,
            corpus=config["corpus"],
            count=count,
        )
        accuracy = concept_accuracy(test_concepts, predictions[0], len(concepts))
        models.append(
            {
                "seed": seed + k,
                "weights": [weights[c] for c in concepts],
                "mentions": mentions[0].tolist(),
                "hits": np.rint(accuracy * totals).astype(int).tolist(),
                "totals": totals.tolist(),
                "train_seconds": round(time.time() - start, 1),
            }
        )
        print(k, models[-1]["mentions"], models[-1]["hits"], flush=True)
    return {
        "config": config,
        "command": COMMAND,
        "date": time.strftime("%Y-%m-%d"),
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
        "concepts": concepts,
        "models": models,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="", help="output JSON (default: the committed file)")
    parser.add_argument("--threads", type=int, default=1)
    for key in ("n_models", "n_steps", "batch_size", "n_per_class"):
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=0)
    args = parser.parse_args(argv)
    config = dict(CONFIG)
    for key in ("n_models", "n_steps", "batch_size", "n_per_class"):
        if getattr(args, key):
            config[key] = getattr(args, key)
    out = Path(args.out) if args.out else OUT
    result = run(config, args.threads)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
