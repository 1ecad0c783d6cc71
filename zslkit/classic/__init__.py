"""Part I of the book: classic zero-shot learning, one module per concept.

Every method is a scikit-learn estimator fitted on seen-class features and
the semantic vectors of all classes (see :mod:`zslkit.classic.base`).

The evaluation loops and text tables of the chapters are in
:mod:`zslkit.classic.experiments`, their figures in :mod:`zslkit.classic.plots`.

Taught in: notebooks/10_attributes_eszsl.ipynb to notebooks/15_generative_zsl.ipynb.
"""

from zslkit.classic.base import ZeroShotClassifier, l2_normalize, softmax
from zslkit.classic.calibration import (
    ShiftSelection,
    best_shift,
    calibration_table,
    compare_calibration,
    report_figures,
    score_scale,
    select_shift,
)
from zslkit.classic.dap import DAP
from zslkit.classic.embedding import RidgeMap, ridge_fit, similarity
from zslkit.classic.eszsl import ESZSL
from zslkit.classic.experiments import (
    fit_score_zsl,
    gzsl_baselines,
    gzsl_table,
    score_spaces,
    score_table,
    standardize,
)
from zslkit.classic.generative import CVAEFeatureGenerator, GenerativeZSL
from zslkit.classic.hubness import (
    candidate_nouns,
    check_hubness_sizes,
    csls_scores,
    hits_at,
    hits_correct,
    hubness_table,
    inverted_softmax_scores,
    k_occurrence,
    k_occurrence_skewness,
    paired_comparisons,
    reciprocal_ranks,
    same_domain_nouns,
    same_list_skewness,
    skewness_gap,
)
from zslkit.classic.intervals import per_class_bootstrap, per_class_item_scores
from zslkit.classic.model_selection import (
    DAP_C_GRID,
    PENALTY_GRID,
    ClassCVSearch,
    check_folds,
    class_folds,
    oracle_search,
    protocol_note,
)
from zslkit.classic.transductive import (
    TransductiveLabelPropagation,
    class_prior_of,
    class_subset,
    imbalance_shares,
    interval_figures,
    knn_affinity,
    make_propagation,
    normalized_graph,
    propagate,
    propagation_accuracy,
    propagation_grid,
    propagation_sweep,
    pseudo_unseen_split,
    select_propagation,
)

__all__ = [
    "ZeroShotClassifier",
    "softmax",
    "l2_normalize",
    "best_shift",
    "select_shift",
    "score_scale",
    "ShiftSelection",
    "compare_calibration",
    "calibration_table",
    "report_figures",
    "per_class_item_scores",
    "per_class_bootstrap",
    "ClassCVSearch",
    "class_folds",
    "protocol_note",
    "check_folds",
    "oracle_search",
    "PENALTY_GRID",
    "DAP_C_GRID",
    "DAP",
    "ESZSL",
    "RidgeMap",
    "ridge_fit",
    "similarity",
    "k_occurrence",
    "k_occurrence_skewness",
    "csls_scores",
    "inverted_softmax_scores",
    "hits_at",
    "hits_correct",
    "reciprocal_ranks",
    "same_list_skewness",
    "skewness_gap",
    "check_hubness_sizes",
    "candidate_nouns",
    "same_domain_nouns",
    "paired_comparisons",
    "hubness_table",
    "TransductiveLabelPropagation",
    "knn_affinity",
    "normalized_graph",
    "propagate",
    "propagation_accuracy",
    "propagation_sweep",
    "propagation_grid",
    "class_prior_of",
    "class_subset",
    "interval_figures",
    "imbalance_shares",
    "make_propagation",
    "pseudo_unseen_split",
    "select_propagation",
    "CVAEFeatureGenerator",
    "GenerativeZSL",
    "standardize",
    "fit_score_zsl",
    "score_spaces",
    "score_table",
    "gzsl_table",
    "gzsl_baselines",
]
