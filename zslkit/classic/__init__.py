"""Part I of the book: classic zero-shot learning, one module per concept.

Every method is a scikit-learn estimator fitted on seen-class features and
the semantic vectors of all classes (see :mod:`zslkit.classic.base`).

The evaluation loops and text tables of the chapters are in
:mod:`zslkit.classic.experiments`, their figures in :mod:`zslkit.classic.plots`.

Taught in: notebooks/10_attributes_eszsl.ipynb to notebooks/15_generative_zsl.ipynb.
"""

from zslkit.classic.base import ZeroShotClassifier, l2_normalize, softmax
from zslkit.classic.calibration import best_gamma, select_gamma
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
    csls_scores,
    hits_at,
    hubness_table,
    inverted_softmax_scores,
    k_occurrence,
    k_occurrence_skewness,
)
from zslkit.classic.transductive import (
    TransductiveLabelPropagation,
    knn_affinity,
    normalized_graph,
    propagate,
    propagation_accuracy,
    propagation_sweep,
)

__all__ = [
    "ZeroShotClassifier",
    "softmax",
    "l2_normalize",
    "best_gamma",
    "select_gamma",
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
    "hubness_table",
    "TransductiveLabelPropagation",
    "knn_affinity",
    "normalized_graph",
    "propagate",
    "propagation_accuracy",
    "propagation_sweep",
    "CVAEFeatureGenerator",
    "GenerativeZSL",
    "standardize",
    "fit_score_zsl",
    "score_spaces",
    "score_table",
    "gzsl_table",
    "gzsl_baselines",
]
