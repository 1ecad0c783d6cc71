"""DAP on a separable toy and against its formula computed attribute by attribute."""

import numpy as np
import pytest

from zslkit.classic import DAP


def _toy(seed=0):
    # 15 classes = every non-empty combination of 4 binary attributes; each
    # attribute moves two feature dimensions, so attributes are separable.
    rng = np.random.default_rng(seed)
    S = np.array([[int(b) for b in f"{i:04b}"] for i in range(1, 16)], dtype=float)
    M = np.kron(np.eye(4), np.ones((1, 2))) * 4.0  # (4, 8)

    def sample(classes, n):
        y = np.repeat(classes, n)
        return S[y] @ M + rng.normal(size=(len(y), 8)), y

    seen, unseen = np.arange(11), np.array([11, 12, 13, 14])
    return S, seen, unseen, sample(seen, 30), sample(unseen, 30)


def test_dap_names_unseen_classes_on_a_separable_toy():
    S, seen, unseen, (X, y), (Xu, yu) = _toy()
    model = DAP(C=1.0).fit(X, y, class_semantics=S)
    assert model.score(Xu, yu, classes=unseen) > 0.9
    assert model.score(X, y, classes=seen) > 0.9


def test_dap_scores_follow_the_formula():
    S, seen, unseen, (X, y), (Xu, yu) = _toy(1)
    model = DAP(eps=1e-3).fit(X, y, class_semantics=S)
    p = np.clip(model.attribute_proba(Xu[:5]), 1e-3, 1 - 1e-3)
    prior = S[seen].mean(axis=0)
    expected = np.zeros((5, len(S)))
    for i in range(5):
        for c in range(len(S)):
            for m in range(S.shape[1]):
                post = p[i, m] if S[c, m] == 1 else 1 - p[i, m]
                pri = prior[m] if S[c, m] == 1 else 1 - prior[m]
                expected[i, c] += np.log(post) - np.log(pri)
    np.testing.assert_allclose(model.decision_function(Xu[:5]), expected, rtol=1e-10)


def test_dap_ignores_an_attribute_no_seen_class_varies():
    S, seen, unseen, (X, y), _ = _toy()
    S = np.hstack([S, np.zeros((len(S), 1))])
    S[unseen, -1] = 1  # only unseen classes have it: it cannot be learned
    model = DAP().fit(X, y, class_semantics=S)
    assert model.attribute_classifiers_[-1] is None
    np.testing.assert_allclose(model.attribute_proba(X[:3])[:, -1], 0.5)


def test_dap_needs_binary_semantics():
    S, seen, unseen, (X, y), _ = _toy()
    with pytest.raises(ValueError, match="binary"):
        DAP().fit(X, y, class_semantics=S + 0.1)
