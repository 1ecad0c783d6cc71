"""Benchmark: Tip-Adapter's search with per-class sums against the one-hot product.

Tip-Adapter's cache term ``exp(-beta (1 - f K^T)) L`` multiplies by the
(N, C) one-hot label matrix ``L``; ``zslkit.adapt.adapters.cache_votes``
sums each class's entries instead. This times the (beta, alpha) search both
ways, in one run, on random unit features at ImageNet scale (by default 4,000
validation images, 16 shots x 1,000 classes in the cache, 1,024 dimensions
as RN50's; class centres sharing one direction, so that the search has a
choice to make), checks that both choose the same (beta, alpha) and then predict the
same classes for the validation images, and prints the times and their ratio::

    .venv/bin/python scripts/bench_tip_search.py [--n-betas 50] [--n-val 4000] [--classes 1000]

The search runs over ``--n-betas`` betas of Tip-Adapter's grid (50, the
library's; fewer keep the one-hot form's run short) and all 20 alphas.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
import torch.nn.functional as F

from zslkit.adapt.adapters import TIP_ALPHAS, TIP_BETAS, _search_tip, tip_adapter_logits


def onehot_search(
    val, val_labels, text_weights, keys, key_labels, alphas, betas, logit_scale, chunk=2**24
):
    """The search as zslkit ran it before (commit 85218f7): a product with the one-hot matrix."""
    clip_logits = logit_scale * val @ text_weights  # (n, C)
    distance = 1.0 - val @ keys.T  # (n, N)
    values = F.one_hot(key_labels, text_weights.shape[1]).float()
    alphas_t = torch.as_tensor(list(alphas), dtype=torch.float32)[None, :, None, None]
    betas_t = torch.as_tensor(list(betas), dtype=torch.float32)
    step = max(1, chunk // max(distance.numel(), len(alphas) * clip_logits.numel()))
    accuracies = []
    for b in betas_t.split(step):
        cache_logits = torch.exp(-b[:, None, None] * distance[None]) @ values  # (b, n, C)
        logits = alphas_t * cache_logits[:, None] + clip_logits  # (b, a, n, C)
        accuracies.append((logits.argmax(-1) == val_labels).float().mean(-1).reshape(-1))
    accuracies = torch.cat(accuracies).tolist()
    best = int(torch.tensor(accuracies).argmax())
    return (
        float(list(betas)[best // len(alphas)]),
        float(list(alphas)[best % len(alphas)]),
        max(accuracies),
    )


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def unit(*shape, generator):
    x = torch.randn(*shape, generator=generator)
    return x / x.norm(dim=-1, keepdim=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-betas", type=int, default=50)
    parser.add_argument("--n-val", type=int, default=4000)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--shots", type=int, default=16)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument(
        "--noise", type=float, default=2.0, help="feature noise around class centres"
    )
    args = parser.parse_args()
    g = torch.Generator().manual_seed(0)
    # class centres share one direction, as CLIP's image features do (cosine about 0.6 here)
    shared = unit(1, args.dim, generator=g)
    centres = F.normalize(shared + 0.8 * unit(args.classes, args.dim, generator=g), dim=1)
    key_labels = torch.arange(args.classes).repeat_interleave(args.shots)
    val_labels = torch.randint(args.classes, (args.n_val,), generator=g)
    noise = args.noise / args.dim**0.5
    keys = F.normalize(
        centres[key_labels] + noise * torch.randn(len(key_labels), args.dim, generator=g), dim=1
    )
    val = F.normalize(
        centres[val_labels] + noise * torch.randn(args.n_val, args.dim, generator=g), dim=1
    )
    text = F.normalize(centres + 1.5 * unit(args.classes, args.dim, generator=g), dim=1).T
    betas = TIP_BETAS[:: max(1, len(TIP_BETAS) // args.n_betas)][: args.n_betas]
    print(
        f"{args.n_val} validation images, {len(key_labels)} cache entries, {args.classes} classes, "
        f"{args.dim} dimensions; {len(betas)} betas x {len(TIP_ALPHAS)} alphas; "
        f"{torch.get_num_threads()} threads"
    )
    with torch.no_grad():
        weights = torch.exp(-betas[0] * (1 - val @ keys.T))
        values = F.one_hot(key_labels, args.classes).float()
        onehot_s = min(timed(lambda: weights @ values) for _ in range(3))
        sum_s = min(
            timed(
                lambda: weights.new_zeros(args.n_val, args.classes).index_add_(
                    1, key_labels, weights
                )
            )
            for _ in range(3)
        )
        start = time.perf_counter()
        dense = onehot_search(val, val_labels, text, keys, key_labels, TIP_ALPHAS, betas, 100.0)
        dense_s = time.perf_counter() - start
        start = time.perf_counter()
        summed = _search_tip(val, val_labels, text, keys, key_labels, TIP_ALPHAS, betas, 100.0)
        summed_s = time.perf_counter() - start
        beta, alpha = summed[0], summed[1]
        start = time.perf_counter()
        predicted = tip_adapter_logits(val, text, keys, key_labels, alpha, beta).argmax(1)
        predict_s = time.perf_counter() - start
        start = time.perf_counter()
        dense_logits = 100.0 * val @ text + alpha * torch.exp(-beta * (1 - val @ keys.T)) @ values
        dense_predict_s = time.perf_counter() - start
    print(
        f"cache term alone, one beta: one-hot product {onehot_s:.3f} s, per-class sum {sum_s:.3f} s ({onehot_s / sum_s:.1f}x)"
    )
    print(f"one-hot product: search {dense_s:.2f} s ({dense_s / len(betas):.2f} s a beta)")
    print(f"per-class sums:  search {summed_s:.2f} s ({summed_s / len(betas):.2f} s a beta)")
    print(f"search speed-up: {dense_s / summed_s:.1f}x")
    print(f"prediction on {args.n_val} images: {dense_predict_s:.2f} s vs {predict_s:.2f} s")
    print(
        f"chosen (beta, alpha): one-hot {dense[:2]}, per-class {summed[:2]}; val accuracy {dense[2]:.4f} vs {summed[2]:.4f}"
    )
    same = dense[:2] == summed[:2] and bool((dense_logits.argmax(1) == predicted).all())
    print(f"same choice and same predictions: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
