"""Write the data files that come from installed packages, so the book reads them as data.

* ``data/templates/imagenet_openai80.json`` - CLIP's 80 ImageNet prompt
  templates (open_clip's ``OPENAI_IMAGENET_TEMPLATES``);
* ``data/templates/imagenet_simple7.json`` - the 7-template subset
  (``SIMPLE_IMAGENET_TEMPLATES``);
* ``data/classnames/imagenet.json`` - the 1000 ImageNet class names used with
  them (``IMAGENET_CLASSNAMES``), in label (WordNet id) order;
* ``data/classnames/flowers102.json`` - the 102 Oxford flower names, in label
  order (``torchvision.datasets.Flowers102.classes``).

open_clip stores templates as functions; each is called with ``"{}"`` to get
the ``str.format`` template. Run from the repository root:
``python scripts/export_templates.py``.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def _write(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", path.relative_to(DATA.parent))


def main() -> None:
    from open_clip import zero_shot_metadata as meta
    from torchvision.datasets import Flowers102

    oc = f"open_clip_torch {version('open_clip_torch')}, open_clip.zero_shot_metadata"
    tv = f"torchvision {version('torchvision')}, torchvision.datasets.Flowers102.classes"
    for name, templates, what in [
        (
            "imagenet_openai80",
            meta.OPENAI_IMAGENET_TEMPLATES,
            "CLIP's 80 ImageNet prompt templates",
        ),
        ("imagenet_simple7", meta.SIMPLE_IMAGENET_TEMPLATES, "the 7-template subset of CLIP's 80"),
    ]:
        texts = [t("{}") for t in templates]
        assert all(t.count("{}") == 1 for t in texts)
        _write(
            DATA / "templates" / f"{name}.json",
            {"name": name, "description": what, "source": oc, "templates": texts},
        )
    _write(
        DATA / "classnames" / "imagenet.json",
        {
            "name": "imagenet",
            "description": "ImageNet-1k class names for prompts, in label (WordNet id) order",
            "source": f"{oc}.IMAGENET_CLASSNAMES",
            "classnames": list(meta.IMAGENET_CLASSNAMES),
        },
    )
    _write(
        DATA / "classnames" / "flowers102.json",
        {
            "name": "flowers102",
            "description": "Oxford 102 Flowers class names, in label order",
            "source": tv,
            "classnames": list(Flowers102.classes),
        },
    )


if __name__ == "__main__":
    main()
