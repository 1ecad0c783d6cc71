"""Typical mistakes for each graded question of the course (tests/test_course.py).

``MISTAKES[chapter][question]`` lists sources that define the asked-for
function wrongly, each the way a student plausibly would (a transposed
matrix, a missing regulariser, a mean over the wrong axis, ...). Every one
must fail the question's otter tests.
"""

# Part I: classic zero-shot learning (chapters 10-15)
PART_I: dict[str, dict[str, list[str]]] = {
    "10_attributes_eszsl": {
        "eszsl_v": [
            # the two penalties swapped: gamma on the semantic side
            """import numpy as np
def eszsl_v(X, Y, S, gamma, lam):
    d, k = X.shape[1], S.shape[1]
    left = np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ Y @ S)
    return np.linalg.solve(S.T @ S + gamma * np.eye(k), left.T).T""",
            # the semantic side forgotten: one ridge regression onto Y S
            """import numpy as np
def eszsl_v(X, Y, S, gamma, lam):
    d = X.shape[1]
    return np.linalg.solve(X.T @ X + gamma * np.eye(d), X.T @ Y @ S)""",
            # the feature-side penalty forgotten: a pseudo-inverse of X^T X
            """import numpy as np
def eszsl_v(X, Y, S, gamma, lam):
    k = S.shape[1]
    left = np.linalg.pinv(X.T @ X) @ X.T @ Y @ S
    return np.linalg.solve(S.T @ S + lam * np.eye(k), left.T).T""",
        ],
        "dap_log_posterior": [
            # the prior term forgotten
            """import numpy as np
def dap_log_posterior(p, prior, A):
    return np.log(p) @ A.T + np.log1p(-p) @ (1 - A).T""",
            # only the attributes a class has: absent ones ignored
            """import numpy as np
def dap_log_posterior(p, prior, A):
    return np.log(p) @ A.T - np.log(prior) @ A.T""",
            # the prior added instead of divided out
            """import numpy as np
def dap_log_posterior(p, prior, A):
    log_post = np.log(p) @ A.T + np.log1p(-p) @ (1 - A).T
    return log_post + (np.log(prior) @ A.T + np.log1p(-prior) @ (1 - A).T)""",
        ],
    },
    "11_semantic_spaces": {
        "image_agreement": [
            # Pearson's r of the cosines instead of Spearman's rank correlation
            """from scipy.spatial.distance import pdist
from scipy.stats import pearsonr
def image_agreement(semantics, class_means):
    return pearsonr(1 - pdist(semantics, "cosine"), 1 - pdist(class_means, "cosine"))[0]""",
            # the whole matrix, diagonal of ones included
            """import numpy as np
from scipy.stats import spearmanr
def image_agreement(semantics, class_means):
    u, v = (x / np.linalg.norm(x, axis=1, keepdims=True) for x in (semantics, class_means))
    return spearmanr((u @ u.T).ravel(), (v @ v.T).ravel()).statistic""",
            # dot products, not cosines: the rows are never normalised
            """import numpy as np
from scipy.stats import spearmanr
def image_agreement(semantics, class_means):
    i, j = np.triu_indices(len(semantics), 1)
    s, m = np.asarray(semantics), np.asarray(class_means)
    return spearmanr((s @ s.T)[i, j], (m @ m.T)[i, j]).statistic""",
        ],
        "paired_t_interval": [
            # the normal quantile 1.96 instead of Student's t with n - 1 degrees
            """import numpy as np
def paired_t_interval(a, b, level=0.95):
    d = np.asarray(a) - np.asarray(b)
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    return d.mean(), d.mean() - half, d.mean() + half""",
            # the standard deviation divided by n (ddof=0)
            """import numpy as np
from scipy import stats
def paired_t_interval(a, b, level=0.95):
    d = np.asarray(a) - np.asarray(b)
    half = stats.t.ppf((1 + level) / 2, d.size - 1) * d.std() / np.sqrt(d.size)
    return d.mean(), d.mean() - half, d.mean() + half""",
            # unpaired: the two samples' variances added, the pairing ignored
            """import numpy as np
from scipy import stats
def paired_t_interval(a, b, level=0.95):
    a, b = np.asarray(a), np.asarray(b)
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    half = stats.t.ppf((1 + level) / 2, a.size - 1) * se
    return a.mean() - b.mean(), a.mean() - b.mean() - half, a.mean() - b.mean() + half""",
        ],
    },
    "12_gzsl_calibration": {
        "calibrated_stacking": [
            # the shift added to the seen scores: the bias made worse
            """import numpy as np
def calibrated_stacking(scores, seen_mask, shift):
    return np.argmax(np.asarray(scores) + shift * np.asarray(seen_mask), axis=1)""",
            # the shift taken off the unseen classes instead
            """import numpy as np
def calibrated_stacking(scores, seen_mask, shift):
    unseen = ~np.asarray(seen_mask, dtype=bool)
    return np.argmax(np.asarray(scores) - shift * unseen, axis=1)""",
            # the shift taken off every class: the argmax never moves
            """import numpy as np
def calibrated_stacking(scores, seen_mask, shift):
    return np.argmax(np.asarray(scores) - shift, axis=1)""",
        ],
        "gzsl_h": [
            # per-image accuracy, not the mean of the per-class accuracies
            """import numpy as np
def gzsl_h(labels, predictions, seen, unseen):
    labels, right = np.asarray(labels), np.equal(predictions, labels)
    s, u = right[np.isin(labels, seen)].mean(), right[np.isin(labels, unseen)].mean()
    return s, u, (2 * s * u / (s + u) if s + u > 0 else 0.0)""",
            # the arithmetic mean of S and U
            """import numpy as np
def gzsl_h(labels, predictions, seen, unseen):
    labels, right = np.asarray(labels), np.equal(predictions, labels)
    s = np.mean([right[labels == c].mean() for c in seen])
    u = np.mean([right[labels == c].mean() for c in unseen])
    return s, u, (s + u) / 2""",
            # the 0 / 0 case left as nan
            """import numpy as np
def gzsl_h(labels, predictions, seen, unseen):
    labels, right = np.asarray(labels), np.equal(predictions, labels)
    s = np.mean([right[labels == c].mean() for c in seen])
    u = np.mean([right[labels == c].mean() for c in unseen])
    with np.errstate(invalid="ignore"):
        return s, u, np.float64(2 * s * u) / (s + u)""",
        ],
    },
    "13_hubness": {
        "k_occurrence": [
            # ascending sort: the k *farthest* labels counted
            """import numpy as np
def k_occurrence(scores, k=10):
    top = np.argsort(np.asarray(scores), axis=1)[:, :k]
    return np.bincount(top.ravel(), minlength=np.shape(scores)[1])""",
            # only the nearest label counted, whatever k
            """import numpy as np
def k_occurrence(scores, k=10):
    best = np.argmax(scores, axis=1)
    return np.bincount(best, minlength=np.shape(scores)[1])""",
            # the top k labels of all queries pooled, without repeats
            """import numpy as np
def k_occurrence(scores, k=10):
    top = np.argsort(-np.asarray(scores), axis=1)[:, :k]
    return np.isin(np.arange(np.shape(scores)[1]), top).astype(int)""",
        ],
        "csls": [
            # only the hub penalty r_Q(p): the query-side term forgotten
            """import numpy as np
from sklearn.metrics.pairwise import cosine_similarity
def csls(queries, prototypes, k=10):
    cos = cosine_similarity(queries, prototypes)
    return 2 * cos - np.sort(cos, axis=0)[-k:].mean(axis=0)""",
            # the mean over the k *least* similar neighbours
            """import numpy as np
from sklearn.metrics.pairwise import cosine_similarity
def csls(queries, prototypes, k=10):
    cos = cosine_similarity(queries, prototypes)
    r_p = np.sort(cos, axis=1)[:, :k].mean(axis=1, keepdims=True)
    return 2 * cos - np.sort(cos, axis=0)[:k].mean(axis=0) - r_p""",
            # dot products instead of cosines
            """import numpy as np
def csls(queries, prototypes, k=10):
    cos = np.asarray(queries) @ np.asarray(prototypes).T
    r_p = np.sort(cos, axis=1)[:, -k:].mean(axis=1, keepdims=True)
    return 2 * cos - np.sort(cos, axis=0)[-k:].mean(axis=0) - r_p""",
        ],
    },
    "14_transductive": {
        "propagate_labels": [
            # the random-walk normalisation D^-1 W instead of D^-1/2 W D^-1/2
            """import numpy as np
def propagate_labels(W, Y0, alpha=0.99):
    W = np.asarray(W, dtype=float)
    S = W / W.sum(axis=1, keepdims=True)
    return np.linalg.solve(np.eye(len(W)) - alpha * S, Y0)""",
            # the graph left unnormalised
            """import numpy as np
def propagate_labels(W, Y0, alpha=0.99):
    W = np.asarray(W, dtype=float)
    return np.linalg.solve(np.eye(len(W)) - alpha * W, Y0)""",
            # one step of the iteration instead of its fixed point
            """import numpy as np
def propagate_labels(W, Y0, alpha=0.99):
    W = np.asarray(W, dtype=float)
    d = W.sum(axis=1) ** -0.5
    return alpha * (d[:, None] * W * d[None, :]) @ Y0 + Y0""",
        ],
        "class_mass_normalise": [
            # rows normalised instead of columns: the argmax never moves
            """import numpy as np
def class_mass_normalise(F, prior):
    F = np.asarray(F, dtype=float)
    return np.asarray(prior) * F / F.sum(axis=1, keepdims=True)""",
            # the prior forgotten
            """import numpy as np
def class_mass_normalise(F, prior):
    F = np.asarray(F, dtype=float)
    return F / F.sum(axis=0, keepdims=True)""",
            # divided by the prior instead of multiplied
            """import numpy as np
def class_mass_normalise(F, prior):
    F = np.asarray(F, dtype=float)
    return F / F.sum(axis=0, keepdims=True) / np.asarray(prior)""",
        ],
    },
    "15_generative_zsl": {
        "cvae_loss": [
            # the squared error averaged over features (a mean, not a sum over d)
            """import numpy as np
def cvae_loss(x, recon, mu, logvar, beta=1.0):
    rec = ((np.asarray(x) - np.asarray(recon)) ** 2).mean(axis=1)
    kl = -0.5 * (1 + logvar - np.square(mu) - np.exp(logvar)).sum(axis=1)
    return float((rec + beta * kl).mean())""",
            # logvar read as a log standard deviation
            """import numpy as np
def cvae_loss(x, recon, mu, logvar, beta=1.0):
    rec = ((np.asarray(x) - np.asarray(recon)) ** 2).sum(axis=1)
    kl = -0.5 * (1 + 2 * logvar - np.square(mu) - np.exp(2 * logvar)).sum(axis=1)
    return float((rec + beta * kl).mean())""",
            # beta on the reconstruction term instead of the KL term
            """import numpy as np
def cvae_loss(x, recon, mu, logvar, beta=1.0):
    rec = ((np.asarray(x) - np.asarray(recon)) ** 2).sum(axis=1)
    kl = -0.5 * (1 + logvar - np.square(mu) - np.exp(logvar)).sum(axis=1)
    return float((beta * rec + kl).mean())""",
        ],
        "separation": [
            # the centre of the class means weighted by images, not one vote a class
            """import numpy as np
def separation(features, labels, classes):
    X, y = np.asarray(features, dtype=float), np.asarray(labels)
    groups = [X[y == c] for c in classes]
    means = np.stack([g.mean(0) for g in groups])
    within = np.mean([((g - g.mean(0)) ** 2).sum(1).mean() for g in groups])
    return float(((means - X[np.isin(y, classes)].mean(0)) ** 2).sum(1).mean() / within)""",
            # distances, not squared distances
            """import numpy as np
def separation(features, labels, classes):
    X, y = np.asarray(features, dtype=float), np.asarray(labels)
    groups = [X[y == c] for c in classes]
    means = np.stack([g.mean(0) for g in groups])
    within = np.mean([np.linalg.norm(g - g.mean(0), axis=1).mean() for g in groups])
    return float(np.linalg.norm(means - means.mean(0), axis=1).mean() / within)""",
            # the total spread around the overall mean as the denominator
            """import numpy as np
def separation(features, labels, classes):
    X, y = np.asarray(features, dtype=float), np.asarray(labels)
    means = np.stack([X[y == c].mean(0) for c in classes])
    total = ((X - X.mean(0)) ** 2).sum(1).mean()
    return float(((means - means.mean(0)) ** 2).sum(1).mean() / total)""",
        ],
    },
}

# Part II: zero-shot with vision-language models (chapters 20-26)
PART_II: dict[str, dict[str, list[str]]] = {
    "20_prompt_ensembling": {
        "ensemble_weights": [
            """import numpy as np


def ensemble_weights(text_features):
    f = np.asarray(text_features, dtype=float)
    mean = f.mean(axis=0)  # forgot to normalise each template's embedding
    return (mean / np.linalg.norm(mean, axis=-1, keepdims=True)).T""",
            """import numpy as np


def ensemble_weights(text_features):
    f = np.asarray(text_features, dtype=float)
    f = f / np.linalg.norm(f, axis=-1, keepdims=True)
    return f.mean(axis=0).T  # the mean is not scaled back to unit length""",
            """import numpy as np


def ensemble_weights(text_features):
    f = np.asarray(text_features, dtype=float)
    f = f / np.linalg.norm(f, axis=-1, keepdims=True)
    mean = f.mean(axis=0)
    return mean / np.linalg.norm(mean, axis=-1, keepdims=True)  # (C, d)""",
        ],
        "logit_average": [
            """import numpy as np


def logit_average(image_features, text_features):
    x = np.asarray(image_features, dtype=float)  # image left unnormalised
    f = np.asarray(text_features, dtype=float)
    f = f / np.linalg.norm(f, axis=-1, keepdims=True)
    return np.einsum("nd,tcd->nc", x, f) / len(f)""",
            """import numpy as np


def logit_average(image_features, text_features):
    x = np.asarray(image_features, dtype=float)
    f = np.asarray(text_features, dtype=float)
    x = x / np.linalg.norm(x, axis=-1, keepdims=True)
    f = f / np.linalg.norm(f, axis=-1, keepdims=True)
    w = f.mean(axis=0)
    w = w / np.linalg.norm(w, axis=-1, keepdims=True)  # the embedding ensemble
    return x @ w.T""",
        ],
    },
    "21_zpe": {
        "zpe_score": [
            """import numpy as np


def zpe_score(test_logits, reference_logits):
    test = np.asarray(test_logits, dtype=float)  # no bias correction
    return test.max(axis=2).mean(axis=1)""",
            """import numpy as np


def zpe_score(test_logits, reference_logits):
    test = np.asarray(test_logits, dtype=float)
    ref = np.asarray(reference_logits, dtype=float)
    bias = test.mean(axis=1) + ref.mean(axis=1)  # the sum, not half of it
    return (test - bias[:, None, :]).max(axis=2).mean(axis=1)""",
            """import numpy as np


def zpe_score(test_logits, reference_logits):
    test = np.asarray(test_logits, dtype=float)
    ref = np.asarray(reference_logits, dtype=float)
    bias = 0.5 * (test.mean(axis=2) + ref.mean(axis=2))  # mean over classes
    return (test - bias[:, :, None]).max(axis=2).mean(axis=1)""",
        ],
        "zpe_classifier": [
            """import numpy as np


def zpe_classifier(classifiers, scores):
    a = np.asarray(scores, dtype=float)
    a = a / a.sum()  # scores used as weights, no softmax
    mix = np.einsum("p,pdc->dc", a, np.asarray(classifiers, dtype=float))
    return mix / np.linalg.norm(mix, axis=0, keepdims=True)""",
            """import numpy as np
from scipy.special import softmax


def zpe_classifier(classifiers, scores):
    a = softmax(np.asarray(scores, dtype=float))
    return np.einsum("p,pdc->dc", a, np.asarray(classifiers, dtype=float))""",
            """import numpy as np
from scipy.special import softmax


def zpe_classifier(classifiers, scores):
    a = softmax(np.asarray(scores, dtype=float))
    mix = np.einsum("p,pdc->dc", a, np.asarray(classifiers, dtype=float))
    return mix / np.linalg.norm(mix, axis=1, keepdims=True)  # wrong axis""",
        ],
    },
    "22_descriptions": {
        "description_embedding": [
            """import numpy as np


def description_embedding(sentence_features):
    columns = []
    for f in sentence_features:
        mean = np.asarray(f, dtype=float).mean(axis=0)  # raw sentences averaged
        columns.append(mean / np.linalg.norm(mean))
    return np.stack(columns, axis=1)""",
            """import numpy as np


def description_embedding(sentence_features):
    columns = []
    for f in sentence_features:
        f = np.asarray(f, dtype=float)
        columns.append((f / np.linalg.norm(f, axis=1, keepdims=True)).mean(axis=0))
    return np.stack(columns, axis=1)  # the mean is not renormalised""",
            """import numpy as np


def description_embedding(sentence_features):
    f = np.concatenate([np.asarray(f, dtype=float) for f in sentence_features])
    f = f / np.linalg.norm(f, axis=1, keepdims=True)
    k = len(sentence_features[0])  # assumes every class has as many sentences
    mean = f.reshape(len(sentence_features), k, -1).mean(axis=1)
    return (mean / np.linalg.norm(mean, axis=1, keepdims=True)).T""",
        ],
        "mean_of_cosines": [
            """import numpy as np


def mean_of_cosines(image_features, sentence_features):
    x = np.asarray(image_features, dtype=float)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    columns = []
    for f in sentence_features:
        f = np.asarray(f, dtype=float)
        mean = (f / np.linalg.norm(f, axis=1, keepdims=True)).mean(axis=0)
        columns.append(mean / np.linalg.norm(mean))  # cosine with the mean
    return x @ np.stack(columns, axis=1)""",
            """import numpy as np


def mean_of_cosines(image_features, sentence_features):
    x = np.asarray(image_features, dtype=float)  # image not normalised
    scores = []
    for f in sentence_features:
        f = np.asarray(f, dtype=float)
        scores.append((x @ (f / np.linalg.norm(f, axis=1)[:, None]).T).mean(1))
    return np.stack(scores, axis=1)""",
            """import numpy as np


def mean_of_cosines(image_features, sentence_features):
    x = np.asarray(image_features, dtype=float)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    scores = []
    for f in sentence_features:
        f = np.asarray(f, dtype=float)
        scores.append((x @ (f / np.linalg.norm(f, axis=1)[:, None]).T).max(1))
    return np.stack(scores, axis=1)  # the best sentence, not the mean""",
        ],
    },
    "23_loki": {
        "loki_predict": [
            """import numpy as np


def loki_predict(probabilities, distances, label_set):
    p = np.asarray(probabilities, dtype=float)
    d = np.asarray(distances, dtype=float)
    return np.argmin(p @ d[np.asarray(label_set)], axis=1)  # d, not d ** 2""",
            """import numpy as np


def loki_predict(probabilities, distances, label_set):
    p = np.asarray(probabilities, dtype=float)
    d = np.asarray(distances, dtype=float)[:, np.asarray(label_set)]
    return np.argmin(p @ (d[np.asarray(label_set)] ** 2), axis=1)  # into label_set""",
            """import numpy as np


def loki_predict(probabilities, distances, label_set):
    p = np.asarray(probabilities, dtype=float)
    return np.asarray(label_set)[np.argmax(p, axis=1)]  # the arg max""",
        ],
        "fit_scale": [
            """import numpy as np
from scipy import optimize, special


def fit_scale(similarities, targets):
    z, y = np.asarray(similarities, dtype=float), np.asarray(targets)

    def loss(s):  # the mean probability of the target, not its log
        return -special.softmax(s * z, 1)[np.arange(len(y)), y].mean()

    return optimize.minimize_scalar(loss, bounds=(1, 1000), method="bounded").x""",
            """import numpy as np
from scipy import optimize, special


def fit_scale(similarities, targets):
    z, y = np.asarray(similarities, dtype=float), np.asarray(targets)

    def nll(s):  # softmax over the images, not the classes
        return -special.log_softmax(s * z, 0)[np.arange(len(y)), y].mean()

    return optimize.minimize_scalar(nll, bounds=(1, 1000), method="bounded").x""",
            """import numpy as np
from scipy import optimize, special


def fit_scale(similarities, targets):
    z, y = np.asarray(similarities, dtype=float), np.asarray(targets)

    def loglik(s):  # minimised without the minus sign
        return special.log_softmax(s * z, 1)[np.arange(len(y)), y].mean()

    return optimize.minimize_scalar(loglik, bounds=(1, 1000), method="bounded").x""",
        ],
    },
    "24_domain_shift": {
        "logit_trend": [
            """import numpy as np


def logit_trend(id_accuracy, ood_accuracy):
    slope, intercept = np.polyfit(id_accuracy, ood_accuracy, 1)  # no logit
    return float(slope), float(intercept)""",
            """import numpy as np


def logit_trend(id_accuracy, ood_accuracy):
    x = np.log(np.asarray(id_accuracy) / (1 - np.asarray(id_accuracy)))
    y = np.log(np.asarray(ood_accuracy) / (1 - np.asarray(ood_accuracy)))
    slope, intercept = np.polyfit(y, x, 1)  # regresses id on ood
    return float(slope), float(intercept)""",
            """import numpy as np


def logit_trend(id_accuracy, ood_accuracy):
    x, y = np.log(id_accuracy), np.log(ood_accuracy)  # log, not logit
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)""",
        ],
        "effective_robustness": [
            """import numpy as np


def effective_robustness(id_accuracy, ood_accuracy, slope, intercept):
    ids, ood = np.asarray(id_accuracy), np.asarray(ood_accuracy)
    z = slope * np.log(ids / (1 - ids)) + intercept
    return float(np.mean(np.log(ood / (1 - ood)) - z))  # in logit units""",
            """import numpy as np


def effective_robustness(id_accuracy, ood_accuracy, slope, intercept):
    ids, ood = np.asarray(id_accuracy), np.asarray(ood_accuracy)
    return float(np.mean(ood - (slope * ids + intercept)))  # line in accuracy""",
            """import numpy as np


def effective_robustness(id_accuracy, ood_accuracy, slope, intercept):
    ids, ood = np.asarray(id_accuracy), np.asarray(ood_accuracy)
    z = slope * np.log(ids / (1 - ids)) + intercept
    return float(np.mean(1 / (1 + np.exp(-z)) - ood))  # the sign flipped""",
        ],
    },
    "25_concept_frequency": {
        "logistic_fit": [
            """import numpy as np


def logistic_fit(mentions, hits, totals):
    X = np.stack([np.ones(len(hits)), np.log(1 + np.asarray(mentions))], 1)  # ln
    k, n = np.asarray(hits, dtype=float), np.asarray(totals, dtype=float)
    theta = np.zeros(2)
    for _ in range(50):
        p = 1 / (1 + np.exp(-X @ theta))
        hessian = (X.T * (n * p * (1 - p))) @ X
        theta += np.linalg.solve(hessian, X.T @ (k - n * p))
    return float(theta[1]), float(theta[0])""",
            """import numpy as np


def logistic_fit(mentions, hits, totals):
    x = np.log10(1 + np.asarray(mentions, dtype=float))
    p = (np.asarray(hits) + 0.5) / (np.asarray(totals) + 1)
    slope, intercept = np.polyfit(x, np.log(p / (1 - p)), 1)  # least squares
    return float(slope), float(intercept)""",
            """import numpy as np


def logistic_fit(mentions, hits, totals):
    X = np.stack([np.ones(len(hits)), np.log10(1 + np.asarray(mentions))], 1)
    k, n = np.asarray(hits, dtype=float), np.asarray(totals, dtype=float)
    theta = np.zeros(2)
    for _ in range(50):
        p = 1 / (1 + np.exp(-X @ theta))
        hessian = (X.T * (p * (1 - p))) @ X  # totals left out of the weights
        theta += np.linalg.solve(hessian, X.T @ (k / n - p))
    return float(theta[1]), float(theta[0])""",
        ],
        "crossing_mentions": [
            """import numpy as np


def crossing_mentions(slope, intercept, level=0.5):
    target = np.log(level / (1 - level))
    return float(10 ** ((target - intercept) / slope))  # the + 1 not undone""",
            """def crossing_mentions(slope, intercept, level=0.5):
    return float(10 ** (-intercept / slope) - 1)  # only right for one half""",
            """import numpy as np


def crossing_mentions(slope, intercept, level=0.5):
    target = np.log(level / (1 - level))
    return float(np.exp((target - intercept) / slope) - 1)  # e, not 10""",
        ],
    },
    "26_contrastive_losses": {
        "info_nce": [
            """import torch
import torch.nn.functional as F


def info_nce(image_features, text_features, inv_tau):
    logits = inv_tau * image_features @ text_features.T
    labels = torch.arange(len(logits))
    return F.cross_entropy(logits, labels)  # images to captions only""",
            """import torch
import torch.nn.functional as F


def info_nce(image_features, text_features, inv_tau):
    logits = image_features @ text_features.T  # the temperature forgotten
    labels = torch.arange(len(logits))
    loss = F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)
    return loss / 2""",
            """import torch
import torch.nn.functional as F


def info_nce(image_features, text_features, inv_tau):
    logits = inv_tau * image_features @ text_features.T
    labels = torch.arange(len(logits))
    return F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)""",
        ],
        "info_loob": [
            """import torch


def info_loob(image_features, text_features, inv_tau):
    logits = inv_tau * image_features @ text_features.T
    pos = logits.diagonal()  # the positive kept in the denominator
    rows = torch.logsumexp(logits, dim=1) - pos
    cols = torch.logsumexp(logits, dim=0) - pos
    return (rows.mean() + cols.mean()) / 2""",
            """import torch


def info_loob(image_features, text_features, inv_tau):
    logits = inv_tau * image_features @ text_features.T
    off = logits.masked_fill(torch.eye(len(logits), dtype=torch.bool), 0.0)  # not -inf
    pos = logits.diagonal()
    rows = torch.logsumexp(off, dim=1) - pos
    cols = torch.logsumexp(off, dim=0) - pos
    return (rows.mean() + cols.mean()) / 2""",
            """import torch


def info_loob(image_features, text_features, inv_tau):
    logits = inv_tau * image_features @ text_features.T
    off = logits.masked_fill(torch.eye(len(logits), dtype=torch.bool), -torch.inf)
    return (torch.logsumexp(off, dim=1) - logits.diagonal()).mean()  # one way""",
        ],
    },
}

# Part III: adapting with a few labels or unlabelled data (chapters 30-34)
PART_III: dict[str, dict[str, list[str]]] = {
    "30_training_free_adapters": {
        "tip_logits": [
            # the affinity itself in the exponent, not the distance 1 - f K^T
            """def tip_logits(f, text_weights, keys, labels, alpha, beta, logit_scale):
    import torch

    one_hot = torch.nn.functional.one_hot(labels, text_weights.shape[1])
    votes = torch.exp(-beta * (f @ keys.T)) @ one_hot.to(f.dtype)
    return logit_scale * f @ text_weights + alpha * votes""",
            # the temperature forgotten on the zero-shot logits
            """def tip_logits(f, text_weights, keys, labels, alpha, beta, logit_scale):
    import torch

    one_hot = torch.nn.functional.one_hot(labels, text_weights.shape[1])
    votes = torch.exp(-beta * (1 - f @ keys.T)) @ one_hot.to(f.dtype)
    return f @ text_weights + alpha * votes""",
            # alpha and beta swapped
            """def tip_logits(f, text_weights, keys, labels, alpha, beta, logit_scale):
    import torch

    one_hot = torch.nn.functional.one_hot(labels, text_weights.shape[1])
    votes = torch.exp(-alpha * (1 - f @ keys.T)) @ one_hot.to(f.dtype)
    return logit_scale * f @ text_weights + beta * votes""",
        ],
        "gda_weights": [
            # the covariance of the raw shots, not of the class-centred ones
            """def gda_weights(x, y, n_classes):
    import numpy as np

    n, d = x.shape
    mu = np.stack([x[y == c].mean(0) for c in range(n_classes)])
    s = np.cov(x, rowvar=False)
    return d * np.linalg.pinv((n - 1) * s + np.trace(s) * np.eye(d)) @ mu.T""",
            # no shrinkage: the pseudo-inverse of the sample covariance
            """def gda_weights(x, y, n_classes):
    import numpy as np

    mu = np.stack([x[y == c].mean(0) for c in range(n_classes)])
    return np.linalg.pinv(np.cov(x - mu[y], rowvar=False)) @ mu.T""",
            # the covariance with N in the denominator (ddof=0)
            """def gda_weights(x, y, n_classes):
    import numpy as np

    n, d = x.shape
    mu = np.stack([x[y == c].mean(0) for c in range(n_classes)])
    s = np.cov(x - mu[y], rowvar=False, bias=True)
    return d * np.linalg.pinv((n - 1) * s + np.trace(s) * np.eye(d)) @ mu.T""",
            # centred on the mean of all shots, not on each class's mean
            """def gda_weights(x, y, n_classes):
    import numpy as np

    n, d = x.shape
    mu = np.stack([x[y == c].mean(0) for c in range(n_classes)])
    s = np.cov(x - x.mean(0), rowvar=False)
    return d * np.linalg.pinv((n - 1) * s + np.trace(s) * np.eye(d)) @ mu.T""",
        ],
    },
    "31_prompt_learning": {
        "coop_prompts": [
            # the context after the class name instead of before it
            """def coop_prompts(prefix, context, suffix):
    import torch

    if context.dim() == 2:
        context = context.expand(prefix.shape[0], -1, -1)
    return torch.cat([prefix, suffix, context], dim=1)""",
            # the start-of-text token left out
            """def coop_prompts(prefix, context, suffix):
    import torch

    if context.dim() == 2:
        context = context.expand(prefix.shape[0], -1, -1)
    return torch.cat([context, suffix], dim=1)""",
            # a shared context assumed: a context per class breaks
            """def coop_prompts(prefix, context, suffix):
    import torch

    context = context.unsqueeze(0).expand(prefix.shape[0], -1, -1)
    return torch.cat([prefix, context, suffix], dim=1)""",
            # the context detached from the graph: nothing is learned
            """def coop_prompts(prefix, context, suffix):
    import torch

    if context.dim() == 2:
        context = context.expand(prefix.shape[0], -1, -1)
    return torch.cat([prefix, context.detach(), suffix], dim=1)""",
        ],
        "base_to_new_h": [
            # the arg max over all classes (the GZSL score), not within each part
            """def base_to_new_h(logits, labels, base, new):
    import numpy as np

    logits, labels = np.asarray(logits), np.asarray(labels)
    acc = [np.mean(logits[np.isin(labels, p)].argmax(1) == labels[np.isin(labels, p)])
           for p in (base, new)]
    return acc[0], acc[1], 2 * acc[0] * acc[1] / (acc[0] + acc[1])""",
            # the position within the part compared with the class index
            """def base_to_new_h(logits, labels, base, new):
    import numpy as np

    acc = []
    for part in map(np.asarray, (base, new)):
        rows = np.isin(labels, part)
        pred = np.asarray(logits)[rows][:, part].argmax(1)
        acc.append(np.mean(pred == np.asarray(labels)[rows]))
    return acc[0], acc[1], 2 * acc[0] * acc[1] / (acc[0] + acc[1])""",
            # the arithmetic mean instead of the harmonic mean
            """def base_to_new_h(logits, labels, base, new):
    import numpy as np

    acc = []
    for part in map(np.asarray, (base, new)):
        rows = np.isin(labels, part)
        pred = part[np.asarray(logits)[rows][:, part].argmax(1)]
        acc.append(np.mean(pred == np.asarray(labels)[rows]))
    return acc[0], acc[1], (acc[0] + acc[1]) / 2""",
        ],
    },
    "32_pseudo_labels_tta": {
        "class_balanced_top_k": [
            # no class balance: the k C most confident images overall
            """def class_balanced_top_k(probs, k):
    import numpy as np

    probs = np.asarray(probs)
    idx = np.argsort(-probs.max(1))[: k * probs.shape[1]]
    return idx, probs.argmax(1)[idx]""",
            # each class takes its k highest p(c | x), predicted as c or not
            """def class_balanced_top_k(probs, k):
    import numpy as np

    probs = np.asarray(probs)
    idx = np.concatenate([np.argsort(-probs[:, c])[:k] for c in range(probs.shape[1])])
    labels = np.repeat(np.arange(probs.shape[1]), k)
    return idx, labels""",
            # the least confident images of each class
            """def class_balanced_top_k(probs, k):
    import numpy as np

    probs = np.asarray(probs)
    pred, idx = probs.argmax(1), []
    for c in range(probs.shape[1]):
        mine = np.flatnonzero(pred == c)
        idx += list(mine[np.argsort(probs[mine, c])[:k]])
    return np.array(idx, dtype=int), pred[idx]""",
        ],
        "tpt_objective": [
            # the mean of the views' entropies, not the entropy of their mean
            """def tpt_objective(logits, fraction):
    import torch

    h = torch.special.entr(logits.softmax(-1)).sum(-1)
    keep = h.argsort()[: max(1, int(fraction * len(logits)))]
    return h[keep].mean()""",
            # the views of highest entropy kept
            """def tpt_objective(logits, fraction):
    import torch

    p = logits.softmax(-1)
    keep = torch.special.entr(p).sum(-1).argsort(descending=True)
    keep = keep[: max(1, int(fraction * len(p)))]
    return torch.special.entr(p[keep].mean(0)).sum()""",
            # the logits averaged instead of the probabilities
            """def tpt_objective(logits, fraction):
    import torch

    p = logits.softmax(-1)
    keep = torch.special.entr(p).sum(-1).argsort()
    keep = keep[: max(1, int(fraction * len(p)))]
    return torch.special.entr(logits[keep].mean(0).softmax(-1)).sum()""",
            # no confidence selection: every view kept
            """def tpt_objective(logits, fraction):
    import torch

    return torch.special.entr(logits.softmax(-1).mean(0)).sum()""",
        ],
    },
    "33_continual_learning": {
        "zscl_distillation": [
            # the KL the wrong way round: KL(student || teacher)
            """def zscl_distillation(student, teacher):
    def kl(t, s):
        log_t = t.log_softmax(1)
        return (log_t.exp() * (log_t - s.log_softmax(1))).sum(1).mean()

    return 0.5 * (kl(student, teacher) + kl(student.T, teacher.T))""",
            # only the rows: each image over the texts
            """def zscl_distillation(student, teacher):
    log_t = teacher.log_softmax(1)
    return (log_t.exp() * (log_t - student.log_softmax(1))).sum(1).mean()""",
            # summed over the batch instead of averaged
            """def zscl_distillation(student, teacher):
    def kl(t, s):
        log_t = t.log_softmax(1)
        return (log_t.exp() * (log_t - s.log_softmax(1))).sum()

    return 0.5 * (kl(teacher, student) + kl(teacher.T, student.T))""",
            # F.kl_div given log-probabilities as target without log_target=True
            """def zscl_distillation(student, teacher):
    import torch.nn.functional as F

    def kl(t, s):
        return F.kl_div(s.log_softmax(1), t.log_softmax(1), reduction="batchmean")

    return 0.5 * (kl(teacher, student) + kl(teacher.T, student.T))""",
        ],
        "backward_transfer": [
            # the last task included in the mean (its change is 0 by definition)
            """def backward_transfer(acc):
    import numpy as np

    acc = np.asarray(acc, dtype=float)
    return float(np.mean(acc[-1] - np.diag(acc)))""",
            # the first row (after task 1) instead of each task's own row
            """def backward_transfer(acc):
    import numpy as np

    acc = np.asarray(acc, dtype=float)
    return float(np.mean(acc[-1, :-1] - acc[0, :-1]))""",
            # the matrix read transposed (rows as tasks)
            """def backward_transfer(acc):
    import numpy as np

    acc = np.asarray(acc, dtype=float)
    return float(np.mean(acc[:-1, -1] - np.diag(acc)[:-1]))""",
            # forgetting (start minus end) instead of transfer (end minus start)
            """def backward_transfer(acc):
    import numpy as np

    acc = np.asarray(acc, dtype=float)
    return float(np.mean(np.diag(acc)[:-1] - acc[-1, :-1]))""",
        ],
    },
    "34_leaderboard": {
        "paired_t_interval": [
            # the standard deviation with n in the denominator (ddof=0)
            """def paired_t_interval(a, b, confidence=0.95):
    import numpy as np
    from scipy import stats

    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    half = stats.t.ppf((1 + confidence) / 2, len(d) - 1) * d.std() / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half""",
            # the normal quantile (1.96) instead of Student's t
            """def paired_t_interval(a, b, confidence=0.95):
    import numpy as np
    from scipy import stats

    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    half = stats.norm.ppf((1 + confidence) / 2) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half""",
            # the quantile at the confidence itself, not at (1 + confidence) / 2
            """def paired_t_interval(a, b, confidence=0.95):
    import numpy as np
    from scipy import stats

    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    half = stats.t.ppf(confidence, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half""",
            # unpaired: the spread of each method over the draws, not of the differences
            """def paired_t_interval(a, b, confidence=0.95):
    import numpy as np
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    sem = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    half = stats.t.ppf((1 + confidence) / 2, len(a) - 1) * sem
    return a.mean() - b.mean(), a.mean() - b.mean() - half, a.mean() - b.mean() + half""",
        ],
        "leader_and_ties": [
            # the leader by its best draw, not by its mean
            """def leader_and_ties(per_draw, confidence=0.95):
    import numpy as np
    from zslkit.stats import t_interval

    best = max(per_draw, key=lambda m: np.max(per_draw[m]))
    gap = {m: np.subtract(per_draw[best], v) for m, v in per_draw.items()}
    ci = {m: t_interval(d, confidence) for m, d in gap.items() if m != best}
    return best, [m for m, c in ci.items() if c.low <= 0 <= c.high]""",
            # unpaired: a tie when the two methods' own intervals overlap
            """def leader_and_ties(per_draw, confidence=0.95):
    import numpy as np
    from zslkit.stats import t_interval

    best = max(per_draw, key=lambda m: np.mean(per_draw[m]))
    ci = {m: t_interval(v, confidence) for m, v in per_draw.items()}
    return best, [m for m, c in ci.items() if m != best and c.high >= ci[best].low]""",
            # the leader listed among its own ties (its difference is 0)
            """def leader_and_ties(per_draw, confidence=0.95):
    import numpy as np
    from zslkit.stats import t_interval

    best = max(per_draw, key=lambda m: np.mean(per_draw[m]))
    gap = {m: np.subtract(per_draw[best], v) for m, v in per_draw.items()}
    ci = {m: t_interval(d, confidence) for m, d in gap.items()}
    return best, [m for m, c in ci.items() if c.low <= 0 <= c.high]""",
        ],
    },
}

# Other chapters
OTHER: dict[str, dict[str, list[str]]] = {}

MISTAKES: dict[str, dict[str, list[str]]] = PART_I | PART_II | PART_III | OTHER
