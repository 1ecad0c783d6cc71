"""Reference run of chapter 24: ToyCLIP 2s of several schedules, six text-side methods, four domains.

Effective robustness (Taori et al. 2020) needs models with a spread of
in-distribution accuracies. This script pretrains ToyCLIP 2 (the pocket web
corpus) for a few short schedules, adds the shipped ``toyclip2`` and, for
each model, counts per class how many test images each text-side method of
chapter 24 gets right in each domain, on the notebook's default test set.
It writes ``data/domain_shift_trend.json`` (re-run: one command below, about
10-15 minutes on two CPU threads: ``--threads 2``).

    .venv/bin/python scripts/domain_shift_trend.py

Taught in: notebooks/24_domain_shift.ipynb
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

CONFIG = {
    "schedules": [200, 400, 800, 1200],  # n_steps of the shorter ToyCLIP 2s
    "batch_size": 256,
    "pool_size": 32768,
    "lr": 0.002,
    "train_seed": 0,
    "corpus": "web",
    "domains": ["photo", "sketch", "noisy", "background"],
    "n_per_class": 50,
    "seed": 0,
    "template_set": "openai80",
    "reference": "pocket_web",
    "n_reference": 1000,
}
"""Everything that changes the output (the notebook's defaults for the test side)."""

COMMAND = ".venv/bin/python scripts/domain_shift_trend.py"


def run(config: dict, threads: int = 1) -> dict:
    """Train the short schedules, evaluate them and ``toyclip2``; return the JSON to write."""
    from zslkit.lab import toyclip
    from zslkit.models.backbones import load_backbone
    from zslkit.vlm.robustness import text_method_counts

    torch.set_num_threads(threads)
    shipped, preprocess, tokenizer = load_backbone("toyclip2", device="cpu")
    test = {
        k: config[k]
        for k in ("domains", "n_per_class", "seed", "template_set", "reference", "n_reference")
    }
    models, counts = {}, {}
    for n_steps in config["schedules"]:
        start = time.time()
        model, _ = toyclip.pretrain(
            n_steps=n_steps,
            batch_size=config["batch_size"],
            lr=config["lr"],
            seed=config["train_seed"],
            corpus=config["corpus"],
            pool_size=config["pool_size"],
            log_every=max(n_steps, 1),
        )
        name = f"toyclip2_{n_steps}x{config['batch_size']}"
        models[name] = {
            "n_steps": n_steps,
            "batch_size": config["batch_size"],
            "train_seconds": round(time.time() - start, 1),
        }
        counts[name] = text_method_counts(model, preprocess, tokenizer, **test)
        print(name, models[name], flush=True)
    models["toyclip2"] = {"n_steps": 1600, "batch_size": 256, "shipped": True}
    counts["toyclip2"] = text_method_counts(shipped, preprocess, tokenizer, **test)
    return {
        "config": config,
        "command": COMMAND,
        "date": time.strftime("%Y-%m-%d"),
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
        "models": models,
        "counts": counts,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="", help="output JSON (default: the committed file)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--schedules", default="", help="comma-separated n_steps (default: CONFIG's)"
    )
    parser.add_argument("--n-per-class", type=int, default=0, help="default: CONFIG's")
    args = parser.parse_args(argv)
    config = dict(CONFIG)
    if args.schedules:
        config["schedules"] = [int(s) for s in args.schedules.split(",")]
    if args.n_per_class:
        config["n_per_class"] = args.n_per_class
    from zslkit.vlm.robustness import trend_run_path

    out = Path(args.out) if args.out else trend_run_path()
    result = run(config, args.threads)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
