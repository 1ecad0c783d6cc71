"""Benchmark: zslkit's zero-shot path against CLIP_benchmark's, same model, same data, one run.

Writes a fake dataset of ``--n`` real JPEGs in torchvision's ``ImageFolder``
layout (one folder per class, EuroSAT's ten classes and CLIP_benchmark's
three EuroSAT templates by default) to a temporary folder, loads one model
with :func:`zslkit.models.backbones.load_backbone` (a random-initialised
open_clip ViT-B-32 by default; ``--pretrained`` a tag or checkpoint for real
weights where available) and classifies the images twice:

- zslkit: :func:`zslkit.models.zeroshot.zero_shot_classifier`, then
  :func:`zslkit.models.features.extract_features` (no cache) and
  ``100 * features @ weights``, with zslkit's defaults for the device
  (float16 autocast, 4 workers and pinned memory on CUDA; float32, no
  workers on the CPU);
- CLIP_benchmark (1.6.2): ``zeroshot_classification.zero_shot_classifier``
  and ``run_classification`` (the two halves of its ``evaluate``) on a
  ``DataLoader`` as its command line builds one (4 workers by default), with
  ``amp`` matching zslkit's precision (``amp=False`` for float32).

Each side runs ``--repeats`` times, alternating, after one warm-up batch; the
fastest run counts. It prints images/s of the image path (features and
logits) and the fastest text path for both, their ratio (zslkit /
CLIP_benchmark, above 1: zslkit faster), the ratio within each pair of
neighbouring runs with its median (steadier than the best runs on a busy
machine), and whether both predict the same classes, with the largest logit
difference::

    .venv/bin/python scripts/bench_features.py [--n 256] [--model ViT-B-32] [--pretrained none]
        [--device auto] [--precision auto] [--batch-size 64] [--workers N] [--repeats 2]

Needs ``clip-benchmark==1.6.2`` (a test-only dependency).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def clip_benchmark_prompts(dataset: str) -> tuple[list[str], list[str]]:
    """CLIP_benchmark's English class names and templates (``{c}`` form) of ``dataset``."""
    import clip_benchmark.datasets as cbd

    folder = Path(cbd.__file__).parent
    names = json.loads((folder / "en_classnames.json").read_text())
    templates = json.loads((folder / "en_zeroshot_classification_templates.json").read_text())
    if dataset not in names or dataset not in templates:
        known = sorted(set(names) & set(templates))
        raise ValueError(f"dataset={dataset!r} is not valid; choose one of: {known}")
    return list(names[dataset]), list(templates[dataset])


def write_fake_imagefolder(root: Path, n_classes: int, n: int, size: int, seed: int = 0) -> Path:
    """``n`` JPEGs (``size`` x ``size``, random colours and noise), round-robin over
    ``n_classes`` folders ``class_00``, ``class_01``, ... (sorted as the class order)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for c in range(n_classes):
        (root / f"class_{c:02d}").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        c = i % n_classes
        base = rng.integers(0, 256, 3)
        pixels = np.clip(base + rng.normal(0, 40, (size, size, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(root / f"class_{c:02d}" / f"{i:05d}.jpg", quality=90)
    return root


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def run_zslkit(model, tokenizer, dataset, names, templates, args) -> tuple[dict, torch.Tensor]:
    from zslkit.models.features import extract_features
    from zslkit.models.zeroshot import zero_shot_classifier

    start = time.perf_counter()
    weights = zero_shot_classifier(
        model, tokenizer, names, templates, args.device, precision=args.precision
    )
    sync(args.device)
    text = time.perf_counter()
    features, _ = extract_features(
        model,
        dataset,
        batch_size=args.batch_size,
        device=args.device,
        cache=False,
        progress=False,
        num_workers=args.workers,
        precision=args.precision,
    )
    logits = 100.0 * features @ weights
    sync(args.device)
    return {"text_s": text - start, "image_s": time.perf_counter() - text}, logits


def run_clip_benchmark(model, tokenizer, dataset, names, templates, args, amp):
    from clip_benchmark.metrics import zeroshot_classification as cb

    workers = 4 if args.workers is None else args.workers  # its command line's default
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=args.batch_size, shuffle=False, num_workers=workers
    )
    start = time.perf_counter()
    classifier = cb.zero_shot_classifier(model, tokenizer, names, templates, args.device, amp=amp)
    sync(args.device)
    text = time.perf_counter()
    logits, _ = cb.run_classification(model, classifier, loader, args.device, amp=amp)
    sync(args.device)
    return {"text_s": text - start, "image_s": time.perf_counter() - text}, logits


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=256, help="images in the fake dataset")
    parser.add_argument("--dataset", default="eurosat", help="CLIP_benchmark's prompts of")
    parser.add_argument("--image-size", type=int, default=64, help="side of each JPEG")
    parser.add_argument("--model", default="ViT-B-32")
    parser.add_argument("--pretrained", default="none", help="tag, checkpoint path or none")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto", help="auto, fp32, bf16 or fp16")
    parser.add_argument("--batch-size", type=int, default=64, help="CLIP_benchmark's default")
    parser.add_argument(
        "--workers", type=int, default=None, help="both sides (default: each side's own)"
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quiet", action="store_true", help="no tqdm bars")
    args = parser.parse_args(argv)

    from zslkit.checks import check_range, resolve_device
    from zslkit.models.backbones import load_backbone
    from zslkit.models.features import resolve_precision

    for name in ("n", "image_size", "batch_size", "repeats"):
        check_range(name, getattr(args, name), 1, integer=True)
    names, cb_templates = clip_benchmark_prompts(args.dataset)
    args.device = resolve_device(args.device)
    args.precision = resolve_precision(args.precision, args.device)
    amp = args.precision != "fp32"
    cb_dtype = {"cuda": "fp16", "cpu": "bf16"}[args.device] if amp else "fp32"  # torch.autocast's
    if args.quiet:
        from functools import partialmethod

        from tqdm import tqdm

        tqdm.__init__ = partialmethod(tqdm.__init__, disable=True)

    import torchvision

    pretrained = None if args.pretrained.lower() == "none" else args.pretrained  # toyclip: shipped
    torch.manual_seed(0)  # the same random weights in every run
    model, preprocess, tokenizer = load_backbone(args.model, pretrained, args.device)
    templates = [t.replace("{c}", "{}") for t in cb_templates]  # zslkit's str.format form
    with tempfile.TemporaryDirectory() as tmp:
        root = write_fake_imagefolder(Path(tmp), len(names), args.n, args.image_size)
        dataset = torchvision.datasets.ImageFolder(str(root), transform=preprocess)
        with torch.no_grad():  # warm-up: one batch through both encoders
            warm = torch.stack([dataset[i][0] for i in range(min(8, args.n))]).to(args.device)
            model.encode_image(warm)
            model.encode_text(tokenizer(["a photo."]).to(args.device))
        runs = {"zslkit": [], "CLIP_benchmark": []}
        for _ in range(args.repeats):
            runs["zslkit"].append(run_zslkit(model, tokenizer, dataset, names, templates, args))
            runs["CLIP_benchmark"].append(
                run_clip_benchmark(model, tokenizer, dataset, names, cb_templates, args, amp)
            )
        labels = torch.as_tensor(dataset.targets)

    best = {k: min(v, key=lambda r: r[0]["image_s"]) for k, v in runs.items()}
    ours, theirs = best["zslkit"][1].float().cpu(), best["CLIP_benchmark"][1].float().cpu()
    device = (
        torch.cuda.get_device_name()
        if args.device == "cuda"
        else f"cpu, {torch.get_num_threads()} threads"
    )
    print(
        f"{args.model} ({args.pretrained}), {args.n} JPEGs {args.image_size}px, "
        f"{len(names)} classes x {len(templates)} templates ({args.dataset}), "
        f"batch {args.batch_size}, device {device}"
    )
    result = {"n": args.n, "device": args.device}
    settings = {
        "zslkit": f"{args.precision}, workers {args.workers if args.workers is not None else 'default'}",
        "CLIP_benchmark": f"amp={amp} ({cb_dtype}), workers {4 if args.workers is None else args.workers}",
    }
    for side, (times, logits) in best.items():
        rate = args.n / times["image_s"]
        all_rates = ", ".join(f"{args.n / t['image_s']:.1f}" for t, _ in runs[side])
        accuracy = float((logits.argmax(1).cpu() == labels).float().mean())
        print(
            f"  {side:15s} {rate:8.1f} images/s (runs: {all_rates}); "
            f"text {min(t['text_s'] for t, _ in runs[side]):.2f} s; top-1 {accuracy:.3f}  [{settings[side]}]"
        )
        result[side] = {"images_per_s": rate, "text_s": times["text_s"], "top1": accuracy}
    ratio = result["zslkit"]["images_per_s"] / result["CLIP_benchmark"]["images_per_s"]
    paired = [c["image_s"] / z["image_s"] for (z, _), (c, _) in zip(*runs.values())]
    same = int((ours.argmax(1) == theirs.argmax(1)).sum())
    diff = float((ours - theirs).abs().max())
    print(
        f"  ratio zslkit / CLIP_benchmark (images/s): {ratio:.2f} best runs; per pair of runs "
        f"{', '.join(f'{r:.2f}' for r in paired)}, median {float(np.median(paired)):.2f}"
    )
    print(f"  same predictions: {same} of {args.n}; largest logit difference {diff:.2e}")
    result.update(ratio=ratio, paired_ratios=paired, same_predictions=same, max_logit_diff=diff)
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
