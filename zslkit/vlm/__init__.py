"""Part II, zero-shot with vision-language models: prompt ensembles weighted by ZPE, description classifiers, Loki, concept frequency.

Every public class and function of the wing's modules can be imported from
the wing itself (``from zslkit.vlm import Loki``); the modules are
imported on first use, so importing the wing stays cheap.
"""

from zslkit._lazy import lazy_exports

_EXPORTS = {
    "Loki": "loki",
    "ZPE": "zpe",
    "class_descriptions": "descriptions",
    "concept_accuracy": "concept_frequency",
    "description_classifier": "descriptions",
    "expected_distance": "loki",
    "fit_log_linear": "concept_frequency",
    "frechet_objective": "loki",
    "frechet_predict": "loki",
    "list_reference_datasets": "zpe",
    "log_spaced_weights": "concept_frequency",
    "pocket_descriptions": "descriptions",
    "pocket_descriptions_file": "descriptions",
    "reference_dataset": "zpe",
    "text_classifier": "descriptions",
    "text_distance_matrix": "loki",
    "write_pocket_descriptions": "descriptions",
    "zpe_scores": "zpe",
    "zpe_weights": "zpe",
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
