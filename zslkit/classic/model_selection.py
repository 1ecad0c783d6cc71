"""Hyperparameters of a zero-shot model chosen by class-wise cross-validation.

A zero-shot model is judged on classes it never saw, so its hyperparameters
must be judged the same way: hold out some *seen classes* (not images), fit
on the others, and score the model on the held-out classes as if they were
unseen. :func:`class_folds` splits the seen classes into folds;
:class:`ClassCVSearch` is a grid search over those folds, in the manner of
scikit-learn's ``GridSearchCV``, that refits the best setting on all seen
classes. The test set is never touched. Given ``folds``, the search holds
out those classes instead: on GBU, the *validation classes* of the
proposed split of Xian et al. are held out once
(:func:`zslkit.data.gbu.proposed_validation_classes`) and then refits on
all of ``trainval``.

Romera-Paredes & Torr choose ESZSL's two penalties on the grid
``10^-3 ... 10^3`` by holding out a random 20 % of the training classes
(their code, ``bernard24/Embarrassingly-simple-ZSL``, ``runExperiment.m``
and ``validationClasses_generalscript.m``); :data:`PENALTY_GRID` is that grid.

Taught in: notebooks/10_attributes_eszsl.ipynb.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid
from threadpoolctl import threadpool_limits

from zslkit.checks import check_range

PENALTY_GRID = tuple(10.0**e for e in range(-3, 4))  # ESZSL's gamma and lambda (authors' code)
DAP_C_GRID = (1e-3, 1e-2, 1e-1)  # inverse penalty of DAP's attribute classifiers


def check_folds(y, folds) -> list[np.ndarray]:
    """Given folds of held-out classes, checked: sorted int arrays of classes of ``y``, disjoint.

    Parameters
    ----------
    y : (n,) int array of class labels (seen classes only)
    folds : sequence of class sequences, each a fold of held-out classes

    Returns
    -------
    list of sorted int arrays, one per fold. Raises ``ValueError`` when a fold
    is empty, names a class not in ``y``, holds out every class (nothing is
    left to fit on), or shares a class with another fold.

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """
    classes = np.unique(np.asarray(y))
    checked, used = [], set()
    for i, fold in enumerate(folds):
        fold = np.unique(np.asarray(fold, dtype=np.int64))
        if fold.size == 0:
            raise ValueError(f"fold {i} is empty; a fold holds out at least one class")
        unknown = np.setdiff1d(fold, classes)
        if unknown.size:
            raise ValueError(
                f"fold {i} holds out classes {unknown.tolist()} that are not in y; "
                f"valid classes: {classes.tolist()}"
            )
        if fold.size == classes.size:
            raise ValueError(f"fold {i} holds out every class of y; nothing is left to fit on")
        if used & set(fold.tolist()):
            raise ValueError(
                f"fold {i} shares classes {sorted(used & set(fold.tolist()))} with another fold"
            )
        used |= set(fold.tolist())
        checked.append(fold)
    if not checked:
        raise ValueError("folds is empty; give at least one fold of held-out classes")
    return checked


def class_folds(y, n_folds: int = 3, seed: int = 0) -> list[np.ndarray]:
    """The classes present in ``y``, shuffled and dealt into ``n_folds`` disjoint folds.

    Parameters
    ----------
    y : (n,) int array of class labels (seen classes only)
    n_folds : number of folds, 2 to the number of classes
    seed : seed of the shuffle

    Returns
    -------
    list of ``n_folds`` sorted int arrays of classes; together they are
    ``np.unique(y)``, and their sizes differ by at most one.

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """
    classes = np.unique(np.asarray(y))
    check_range("n_folds", n_folds, 2, max(2, classes.size), integer=True)
    if classes.size < 2:
        raise ValueError(f"class-wise folds need at least 2 classes, got {classes.size}")
    shuffled = np.random.default_rng(seed).permutation(classes)
    return [np.sort(fold) for fold in np.array_split(shuffled, n_folds)]


class ClassCVSearch:
    """Grid search of a zero-shot model's hyperparameters over folds of seen classes.

    For every setting of ``param_grid`` and every fold of :func:`class_folds`,
    a clone of ``estimator`` is fitted on the images of the other folds'
    classes and scored (:meth:`ZeroShotClassifier.score`, per-class top-1)
    on the fold's images, choosing among the fold's classes only: the ZSL
    protocol with the fold as the unseen classes. The setting with the best
    mean over folds (the first in grid order among those within 1e-9 of the
    best, so float noise cannot flip the choice) is refitted on all
    seen classes.

    Parameters
    ----------
    estimator : a :class:`zslkit.classic.ZeroShotClassifier`
    param_grid : dict name -> list of values (as for ``sklearn.model_selection.ParameterGrid``)
    n_folds : folds of classes; seed : seed of the folds
    folds : optional sequence of held-out class sequences (disjoint, see
        :func:`check_folds`) used instead of :func:`class_folds`, e.g.
        ``[proposed_validation_classes(root, "CUB")]``, the GBU protocol's
        one fold; ``n_folds`` and ``seed`` are then unused

    Attributes
    ----------
    folds_ : list of class arrays, ``folds`` or from :func:`class_folds`
    cv_results_ : dict with ``params`` (list of dicts, grid order), ``fold_scores``
        (n_settings, n_folds) and ``mean_score`` (n_settings,)
    best_params_ : dict; best_score_ : float, its mean over folds
    best_estimator_ : the estimator with ``best_params_`` fitted on all of ``X``

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """

    def __init__(self, estimator, param_grid: dict, n_folds: int = 3, seed: int = 0, folds=None):
        self.estimator = estimator
        self.param_grid = param_grid
        self.n_folds = n_folds
        self.seed = seed
        self.folds = folds

    def fit(self, X, y, class_semantics) -> ClassCVSearch:
        """Search the grid on ``(X, y)`` (seen classes only), then refit the best setting.

        X : (n, d); y : (n,) class indices into the rows of ``class_semantics`` (n_classes, k).
        """
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
        if self.folds is None:
            self.folds_ = class_folds(y, self.n_folds, self.seed)
        else:
            self.folds_ = check_folds(y, self.folds)
        params = list(ParameterGrid(self.param_grid))
        scores = np.zeros((len(params), len(self.folds_)))
        # many small fits: one BLAS thread is faster (no contention) and machine-independent
        with threadpool_limits(limits=1, user_api="blas"):
            for j, fold in enumerate(self.folds_):
                held = np.isin(y, fold)
                for i, setting in enumerate(params):
                    model = clone(self.estimator).set_params(**setting)
                    model.fit(X[~held], y[~held], class_semantics=class_semantics)
                    scores[i, j] = model.score(X[held], y[held], classes=fold)
        mean = scores.mean(axis=1)
        best = int(np.flatnonzero(mean >= mean.max() - 1e-9)[0])  # float noise is a tie
        self.cv_results_ = {"params": params, "fold_scores": scores, "mean_score": mean}
        self.best_params_, self.best_score_ = params[best], float(mean[best])
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
        self.best_estimator_.fit(X, y, class_semantics=class_semantics)
        return self


def protocol_note(
    dataset: str,
    n_train_per_class: int | None,
    n_folds: int,
    standardised: bool = True,
    proposed_validation: bool = False,
) -> str:
    """What differs from the GBU protocol of Xian et al. in a run, for the row of a paper's number.

    The reproduction of the paper's ESZSL numbers
    (``mvp18/Popular-ZSL-Algorithms``, ``ESZSL/eszsl.py``) uses the
    ResNet-101 features as they are, chooses the penalties on the proposed
    split's validation classes and refits on all of ``trainval``.

    Parameters
    ----------
    dataset : the benchmark's name; n_train_per_class : the cap per seen class
        (None or 0: all of ``trainval``); n_folds : folds of the class-wise search
    standardised : whether the features were standardised
    proposed_validation : whether the penalties were chosen on the proposed
        split's validation classes (else on ``n_folds`` folds of ``trainval`` classes)

    Returns
    -------
    ``"ours (dataset): ..."``, the differences separated by ``"; "``: the
    standardised features (when so), the search (``n_folds`` folds of
    ``trainval`` classes, or the proposed validation classes scored on their
    ``trainval`` images only, where the authors' split also uses images that
    are now test-seen) and, when capped, the number of training images per class.

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """
    notes = ["features standardised"] if standardised else []
    if proposed_validation:
        notes.append("penalties on the proposed validation classes, trainval images only")
    else:
        notes.append(f"penalties by {n_folds}-fold class CV on trainval")
    if n_train_per_class:
        notes.append(f"trainval capped at {n_train_per_class} per class")
    return f"ours ({dataset}): " + "; ".join(notes)


def oracle_search(search: ClassCVSearch, X, y, class_semantics, X_test, y_test, classes):
    """The setting of a fitted search's grid that scores best *on the test set*: a ceiling.

    It peeks at test labels, so it is never a result, only the best any
    choice from the grid could have done (label it "chosen on the test set
    (oracle)").

    Parameters
    ----------
    search : a fitted :class:`ClassCVSearch` (its grid and estimator are reused)
    X, y, class_semantics : the training data, as given to ``search.fit``
    X_test, y_test, classes : test images, their labels and the candidate classes

    Returns
    -------
    the estimator with the best test score (per-class top-1 among ``classes``),
    fitted on ``(X, y)``; the first in grid order on a tie.

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """
    best, best_score = None, -np.inf
    with threadpool_limits(limits=1, user_api="blas"):
        for setting in search.cv_results_["params"]:
            model = clone(search.estimator).set_params(**setting)
            model.fit(X, y, class_semantics=class_semantics)
            score = model.score(X_test, y_test, classes=classes)
            if score > best_score + 1e-9:
                best, best_score = model, score
    return best
