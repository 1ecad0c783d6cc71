"""Part III, adaptation: few-shot and base-to-new protocols, training-free adapters, prompt learning, pseudo-labels and test-time tuning, continual learning, the leaderboard.

Every public class and function of the wing's modules can be imported from
the wing itself (``from zslkit.adapt import CoOp``); the modules are
imported on first use, so importing the wing stays cheap.
"""

from zslkit._lazy import lazy_exports

_EXPORTS = {
    "CoOp": "prompt_learning",
    "GDA": "adapters",
    "IterativePseudoLabeler": "pseudo_labels",
    "LinearProbe": "adapters",
    "Method": "leaderboard",
    "PRE": "prompt_learning",
    "PromptContext": "prompt_learning",
    "PromptTemplate": "prompt_learning",
    "ReparameterisationEncoder": "prompt_learning",
    "TPT": "tta",
    "TipAdapter": "adapters",
    "TipAdapterF": "adapters",
    "ZeroShot": "adapters",
    "accuracy": "continual",
    "augment_views": "tta",
    "average_state_dicts": "continual",
    "base_to_new_split": "protocols",
    "best_methods": "leaderboard",
    "build_prompts": "prompt_learning",
    "check_text_tower": "prompt_learning",
    "colour_groups": "continual",
    "context_from_words": "prompt_learning",
    "continual_finetune": "continual",
    "cosine_lr": "prompt_learning",
    "distillation_loss": "continual",
    "encode_prompts": "prompt_learning",
    "entropy": "tta",
    "few_shot_data": "protocols",
    "few_shot_split": "protocols",
    "finetune_step": "continual",
    "fit_linear_probe": "pseudo_labels",
    "format_table": "leaderboard",
    "interpolate_state_dicts": "continual",
    "k_schedule": "pseudo_labels",
    "load_reference": "leaderboard",
    "make_adapter": "adapters",
    "make_tasks": "continual",
    "marginal_entropy": "tta",
    "mean_std": "protocols",
    "nearest_words": "prompt_learning",
    "plot_leaderboard": "leaderboard",
    "reference_set": "continual",
    "relabel": "protocols",
    "run_leaderboard": "leaderboard",
    "select_classes": "protocols",
    "select_confident": "tta",
    "select_top_k_per_class": "pseudo_labels",
    "summarise": "leaderboard",
    "table_records": "leaderboard",
    "task_classifiers": "continual",
    "task_loss": "continual",
    "tip_adapter_logits": "adapters",
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
