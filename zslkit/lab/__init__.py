"""The pocket lab: pretraining ToyCLIP on the pocket world, and the contrastive losses it can be pretrained with (Part II, chapter 26).

Every public class and function of the wing's modules can be imported from
the wing itself (``from zslkit.lab import alignment``); the modules are
imported on first use, so importing the wing stays cheap.
"""

from zslkit._lazy import lazy_exports

_EXPORTS = {
    "TeacherCWCL": "losses",
    "WarmStart": "losses",
    "alignment": "losses",
    "caption_weights": "losses",
    "clip_loss": "losses",
    "cloob_loss": "losses",
    "collapsed_loss": "experiments",
    "corpus_batch": "experiments",
    "cwcl_loss": "losses",
    "encode_images": "toyclip",
    "evaluate": "toyclip",
    "evaluate_conditions": "toyclip",
    "evaluate_runs": "experiments",
    "get_loss": "losses",
    "hopfield_entropy": "losses",
    "hopfield_probe": "experiments",
    "hopfield_retrieval": "losses",
    "infoloob_loss": "losses",
    "init_model": "experiments",
    "load": "toyclip",
    "load_reference": "experiments",
    "per_seed": "experiments",
    "plot_bars": "plots",
    "plot_reference": "plots",
    "plot_training": "experiments",
    "plot_training_curves": "plots",
    "pretrain": "toyclip",
    "pretrain_concept_models": "experiments",
    "pretrain_each": "experiments",
    "print_reference": "experiments",
    "probe_means": "experiments",
    "reference_comparisons": "experiments",
    "register": "toyclip",
    "save_checkpoint": "toyclip",
    "seed_differences": "experiments",
    "text_weights": "losses",
    "to_tensor": "toyclip",
    "training_defaults": "toyclip",
    "uniformity": "losses",
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
