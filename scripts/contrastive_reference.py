"""Reference run of chapter 26: nine contrastive losses, three seeds, on the pocket web (ToyCLIP 2's corpus).

Each (loss, seed) pretrains a ToyCLIP from scratch with
``zslkit.lab.experiments.pretrain_each`` (the notebook's function), logs a
probe of CLOOB's state on one fixed batch (loss and Hopfield attention
entropy, at initialisation and during training), and evaluates zero-shot
accuracy (16 unseen classes, all 64) and alignment/uniformity as the notebook
does. Losses: InfoNCE with its learned temperature (CLIP) and with a fixed
``1/tau = 30`` (the like-for-like control of InfoLOOB and CLOOB), InfoLOOB,
CLOOB at ``beta`` 8 / 30 / 100, CLOOB warm-started from InfoNCE, CWCL with
the weights of a frozen learned text encoder (the shipped ``toyclip2``'s
text tower) and CWCL with the attribute-word ORACLE weights.
It writes ``data/contrastive_reference.json``; re-run (about 15-20 minutes
on one CPU thread):

    .venv/bin/python scripts/contrastive_reference.py

Taught in: notebooks/26_contrastive_losses.ipynb
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

CONFIG = {
    "corpus": "web",
    "n_steps": 160,
    "batch_size": 96,
    "lr": 0.002,
    "seeds": [0, 1, 2],
    "inv_tau": 30.0,
    "betas": [8.0, 30.0, 100.0],
    "warm_steps": 40,
    "teacher": "toyclip2",
    "n_per_class": 50,
    "n_pairs": 512,
    "probe_beta": 8.0,
}
"""Everything that changes the output."""

LOSSES = [
    "clip",
    "clip_fixed",
    "infoloob",
    "cloob",
    "cloob_b30",
    "cloob_b100",
    "cloob_warm",
    "cwcl",
    "cwcl_oracle",
]
"""The runs, by their names in ``zslkit.lab.losses.LOSS_NAMES``."""

COMMAND = ".venv/bin/python scripts/contrastive_reference.py"
OUT = Path(__file__).resolve().parents[1] / "data" / "contrastive_reference.json"


def loss_functions(config: dict, names=LOSSES) -> dict:
    """name -> loss callable of ``toyclip.pretrain`` for each run (fresh state: WarmStart counts steps)."""
    from zslkit.lab import losses
    from zslkit.models.backbones import load_backbone

    tau = config["inv_tau"]
    b8, b30, b100 = config["betas"]
    make = {
        "clip": lambda: losses.get_loss("clip"),
        "clip_fixed": lambda: losses.get_loss("clip", inv_tau=tau),
        "infoloob": lambda: losses.get_loss("infoloob", inv_tau=tau),
        "cloob": lambda: losses.get_loss("cloob", inv_tau=tau, beta=b8),
        "cloob_b30": lambda: losses.get_loss("cloob", inv_tau=tau, beta=b30),
        "cloob_b100": lambda: losses.get_loss("cloob", inv_tau=tau, beta=b100),
        "cloob_warm": lambda: losses.WarmStart(
            losses.clip_loss,
            losses.get_loss("cloob", inv_tau=tau, beta=b8),
            config["warm_steps"],
        ),
        "cwcl": lambda: losses.TeacherCWCL(*load_backbone(config["teacher"], device="cpu")[::2]),
        "cwcl_oracle": lambda: losses.get_loss("cwcl"),
    }
    return {name: make[name]() for name in names}


def run(config: dict, names=LOSSES, threads: int = 1) -> dict:
    """Train and evaluate every (loss, seed); return the JSON to write."""
    import numpy as np

    from zslkit.data import web, world
    from zslkit.lab import experiments as ex
    from zslkit.lab import toyclip

    torch.set_num_threads(threads)
    split = world.load_split("default")
    classes = split["classes"]
    unseen_ids = np.array([classes.index(c) for c in split["unseen"]])
    B = config["batch_size"]
    runs, start_all = {}, time.perf_counter()
    for seed in config["seeds"]:
        test = world.make_images(classes, config["n_per_class"], seed=seed + toyclip.EVAL_SEED)
        pairs = world.pretraining_set(config["n_pairs"], classes, seed=seed + 1, off_palette=0.4)
        probe_images, probe_captions, _ = web.pretraining_set(B, split["seen"], seed=seed + 1)
        probe = ex.hopfield_probe(
            probe_images,
            probe_captions,
            config["probe_beta"],
            config["inv_tau"],
            more_betas=[b for b in config["betas"] if b != config["probe_beta"]],
        )
        initial = probe(ex.init_model(seed))
        for name, loss in loss_functions(config, names).items():
            models, histories, seconds = ex.pretrain_each(
                {name: loss},
                config["n_steps"],
                B,
                config["lr"],
                seed,
                corpus=config["corpus"],
                probe=probe,
            )
            row = ex.evaluate_runs(models, histories, test, pairs[:2], unseen_ids, classes)[name]
            runs[f"{name}/seed{seed}"] = {
                "loss": name,
                "seed": seed,
                **{k: round(v, 5) for k, v in row.items()},
                "train_seconds": round(seconds[name], 1),
                "history": [{"step": 0, **initial}]
                + [
                    {k: round(v, 5) if isinstance(v, float) else v for k, v in r.items()}
                    for r in histories[name]
                ],
            }
    return {
        "config": config,
        "losses": list(names),
        "command": COMMAND,
        "date": time.strftime("%Y-%m-%d"),
        "wall_time_s": round(time.perf_counter() - start_all, 1),
        "threads": threads,
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="", help="output JSON (default: the committed file)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--losses", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--seeds", default="", help="comma-separated seeds (default: CONFIG's)")
    parser.add_argument("--n-steps", type=int, default=0, help="default: CONFIG's")
    args = parser.parse_args(argv)
    config = dict(CONFIG)
    if args.seeds:
        config["seeds"] = [int(s) for s in args.seeds.split(",")]
    if args.n_steps:
        config["n_steps"] = args.n_steps
    names = args.losses.split(",") if args.losses else LOSSES
    out = Path(args.out) if args.out else OUT
    result = run(config, names, args.threads)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out} in {result['wall_time_s']} s")


if __name__ == "__main__":
    main()
