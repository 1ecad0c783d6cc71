"""Models: backbones as open_clip triples (ToyCLIP's architecture included), cached feature extraction, and the zero-shot classifier built from prompts.

Every public class and function of the wing's modules can be imported from
the wing itself (``from zslkit.models import WeightsUnavailableError``); the modules are
imported on first use, so importing the wing stays cheap.
"""

from zslkit._lazy import lazy_exports

_EXPORTS = {
    "WeightsUnavailableError": "backbones",
    "ZeroShotClassifier": "zeroshot",
    "accuracy": "prompts",
    "autocast_context": "features",
    "cache_key_for": "features",
    "cache_path": "features",
    "cached_weights": "backbones",
    "default_num_workers": "features",
    "can_connect": "backbones",
    "canonical_json": "features",
    "check_prompt_weights": "prompts",
    "encode_text": "features",
    "ensemble_classifier": "prompts",
    "extract_features": "features",
    "file_id": "backbones",
    "fill_template": "zeroshot",
    "is_offline": "backbones",
    "key_hash": "features",
    "list_backbones": "backbones",
    "list_template_sets": "prompts",
    "load_backbone": "backbones",
    "load_cached": "features",
    "load_template_set": "prompts",
    "resolve_precision": "features",
    "resolve_prompt_sets": "prompts",
    "dataset_prompts": "prompts",
    "pocket_features": "features",
    "template_accuracies": "prompts",
    "template_classifiers": "prompts",
    "template_kinds": "prompts",
    "template_logits": "prompts",
    "zero_shot_classifier": "zeroshot",
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
