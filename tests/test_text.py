"""Zero-shot text classification against hand-worked cases, scikit-learn and GloVe's own tables."""

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from zslkit.data.wordnet import DEBIAN_ROOT
from zslkit.domains.text import (
    ZeroShotTextClassifier,
    f1_scores,
    few_shot_indices,
    label_spec,
    label_texts,
    load_label_texts,
    load_text_dataset,
    movie_title,
    read_labelled_file,
)


def test_f1_scores_on_a_hand_worked_case():
    labels = [0, 0, 1, 1, 2]
    predictions = [0, 1, 1, 1, 0]
    # class 0: tp 1, fp 1, fn 1 -> F1 1/2; class 1: tp 2, fp 1, fn 0 -> P 2/3, R 1, F1 4/5; class 2: F1 0
    scores = f1_scores(labels, predictions)
    assert scores["macro"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert scores["micro"] == pytest.approx(3 / 5)  # single-label micro F1 is accuracy
    with pytest.raises(ValueError, match="shape"):
        f1_scores([0, 1], [0])


def test_label_texts_for_each_source():
    names = ["sport", "music"]
    descriptions = {"sport": ["games and races"], "music": ["songs", "concerts"]}
    assert label_texts(names, "names") == [["sport"], ["music"]]
    assert label_texts(names, "templates", templates=["About {}.", "{} news"]) == [
        ["About sport.", "sport news"],
        ["About music.", "music news"],
    ]
    assert label_texts(names, "descriptions", descriptions) == [
        ["games and races"],
        ["songs", "concerts"],
    ]
    with pytest.raises(ValueError, match="music"):
        label_texts(names, "descriptions", {"sport": ["x"]})
    with pytest.raises(ValueError, match="names.*descriptions.*templates"):
        label_texts(names, "titles")


def test_tfidf_scores_equal_sklearn_cosine_of_mean_label_vectors():
    documents = [
        "the striker scored a goal in the match",
        "the band played a new song",
        "a goal kick and a penalty",
        "the singer wrote the song and the album",
    ]
    descriptions = {"sport": ["goal match", "penalty kick"], "music": ["song album"]}
    clf = ZeroShotTextClassifier("tfidf", "descriptions", descriptions=descriptions).fit(
        ["sport", "music"]
    )
    scores = clf.decision_function(documents)
    flat = ["goal match", "penalty kick", "song album"]
    vec = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit(documents + flat)
    L = vec.transform(flat).toarray()
    sport = L[:2].mean(axis=0)  # rows of L are unit-norm already
    classes = np.stack([sport / np.linalg.norm(sport), L[2]])
    np.testing.assert_allclose(
        scores, cosine_similarity(vec.transform(documents).toarray(), classes), atol=1e-12
    )
    np.testing.assert_array_equal(clf.predict(documents), [0, 1, 0, 1])
    assert clf.score(documents, [0, 1, 0, 1]) == 1.0


def test_glove_classifier_against_glove_tables():
    from zslkit.data.semantics import _glove

    vectors, index = _glove()

    def mean_vector(words):
        v = np.mean([vectors[index[w]] for w in words], axis=0)
        return v / np.linalg.norm(v)

    clf = ZeroShotTextClassifier("glove", "templates", templates=["{} news", "about {}"]).fit(
        ["sport", "music"]
    )
    classes = []
    for name in ["sport", "music"]:
        c = mean_vector([name, "news"]) + mean_vector(["about", name])
        classes.append(c / np.linalg.norm(c))
    documents = ["football match tonight", "qwzxv zzkq"]  # the second has no GloVe word
    expected = (
        np.stack([mean_vector(["football", "match", "tonight"]), np.zeros(50)])
        @ np.stack(classes).T
    )
    np.testing.assert_allclose(clf.decision_function(documents), expected, atol=1e-5)
    assert clf.predict(documents)[0] == 0


def test_bad_choices_name_the_valid_ones():
    with pytest.raises(ValueError, match="tfidf"):
        ZeroShotTextClassifier("bert").fit(["a"])
    with pytest.raises(ValueError, match="not fitted"):
        ZeroShotTextClassifier().predict(["text"])
    with pytest.raises(ValueError, match="pocket dataset"):
        load_text_dataset("ag_news")


def test_few_shot_indices_are_balanced_and_reproducible():
    labels = np.array([0] * 5 + [1] * 7 + [2] * 4)
    idx = few_shot_indices(labels, 3, seed=1)
    assert np.bincount(labels[idx]).tolist() == [3, 3, 3] and len(set(idx)) == 9
    np.testing.assert_array_equal(idx, few_shot_indices(labels, 3, seed=1))
    with pytest.raises(ValueError, match="fewer than n_shots"):
        few_shot_indices(labels, 5)


def test_read_csv_with_integer_labels_and_hf_dataset_info(tmp_path):
    (tmp_path / "test.csv").write_text(
        'text,label\n"Stocks fell, again",2\nA late goal,1\nRain in Rome,0\n'
    )
    info = {
        "features": {
            "text": {"dtype": "string", "_type": "Value"},
            "label": {"names": ["World", "Sports", "Business"], "_type": "ClassLabel"},
        }
    }
    (tmp_path / "dataset_info.json").write_text(json.dumps(info))
    documents, labels, names = read_labelled_file(tmp_path / "test.csv")
    assert documents == ["Stocks fell, again", "A late goal", "Rain in Rome"]
    assert labels.tolist() == [2, 1, 0] and names == ["World", "Sports", "Business"]


def test_read_jsonl_with_string_labels_and_sample_it(tmp_path):
    rows = [{"text": f"doc {i}", "label": ["neg", "pos"][i % 2]} for i in range(10)]
    (tmp_path / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    documents, labels, names = read_labelled_file(tmp_path / "test.jsonl")
    assert names == ["neg", "pos"] and labels.tolist() == [i % 2 for i in range(10)]
    data = load_text_dataset("my_reviews", "test", n_per_class=3, seed=0, root=tmp_path)
    assert np.bincount(data.labels).tolist() == [3, 3] and data.class_names == ["neg", "pos"]
    assert all(int(d.split()[1]) % 2 == y for d, y in zip(data.documents, data.labels))
    assert len(load_text_dataset("my_reviews", "test", n_per_class=0, root=tmp_path)) == 10
    one_file = tmp_path / "test.jsonl"  # one file: train and test drawn from it, disjoint
    train = load_text_dataset("my_reviews", "train", n_per_class=2, seed=0, root=one_file)
    test = load_text_dataset("my_reviews", "test", n_per_class=2, seed=0, root=one_file)
    assert not set(train.documents) & set(test.documents) and len(train) == len(test) == 4
    assert label_spec("my_reviews", names)["templates"] == ["This text is about {}."]


@pytest.mark.parametrize("sizes", [(60, 16), (16, 60), (3, 1), (1, 3), (65, 65)])
def test_balanced_test_and_train_samples_share_no_document_id_whatever_the_sizes(sizes):
    from zslkit.domains.text import _balanced

    labels = np.repeat([0, 1, 2], [130, 131, 140])
    ids = [str(i) for i in range(len(labels))]  # each document is its own id
    (test, test_labels), (train, train_labels) = (
        _balanced(ids, labels, split, n, seed=0) for split, n in zip(("test", "train"), sizes)
    )
    assert not set(test) & set(train)
    assert np.bincount(test_labels).tolist() == [sizes[0]] * 3
    assert np.bincount(train_labels).tolist() == [sizes[1]] * 3
    assert all(labels[int(i)] == y for i, y in zip(test + train, [*test_labels, *train_labels]))


@pytest.mark.parametrize("file_name", ["reviews.jsonl", "test.jsonl", "train.csv"])
def test_one_file_test_and_train_share_no_document_whatever_the_sizes_and_name(tmp_path, file_name):
    one_file = tmp_path / file_name  # both splits drawn from this one file
    rows = [{"text": f"doc {i}", "label": ["neg", "pos"][i % 2]} for i in range(40)]
    if one_file.suffix == ".csv":
        one_file.write_text("text,label\n" + "".join(f"{r['text']},{r['label']}\n" for r in rows))
    else:
        one_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for n_test, n_train in [(6, 2), (2, 6), (10, 10), (0, 0)]:
        test = load_text_dataset("my_reviews", "test", n_per_class=n_test, root=one_file)
        train = load_text_dataset("my_reviews", "train", n_per_class=n_train, root=one_file)
        assert not set(test.documents) & set(train.documents), (n_test, n_train)
        if n_test == 0:  # every document of the file, in one split or the other
            assert (
                len(test) == len(train) == 20 and len(set(test.documents + train.documents)) == 40
            )


def test_read_file_errors(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "x", "label": 3}\n')
    with pytest.raises(ValueError, match="no label names"):
        read_labelled_file(tmp_path / "a.jsonl")
    with pytest.raises(ValueError, match=r"\[3\]"):
        read_labelled_file(tmp_path / "a.jsonl", label_names=["a", "b"])
    (tmp_path / "b.jsonl").write_text('{"sentence": "x", "label": 0}\n')
    with pytest.raises(ValueError, match="text and a label column"):
        read_labelled_file(tmp_path / "b.jsonl")
    with pytest.raises(FileNotFoundError, match="to_json"):
        read_labelled_file(tmp_path / "missing.csv")


def test_label_files_are_complete():
    for dataset in ["wordnet_supersenses", "movies", "ag_news"]:
        spec = load_label_texts(dataset)
        assert set(spec["descriptions"]) == set(spec["class_names"])
        assert all("{}" in t for t in spec["templates"])
    with pytest.raises(ValueError, match="data has"):
        label_spec("movies", ["Action", "Western"])


def test_movie_title_moves_the_article_back():
    assert movie_title("Protector, The") == "The Protector"
    assert movie_title("Home for the Bullets, A") == "A Home for the Bullets"
    assert movie_title("Panic Room") == "Panic Room"


@pytest.mark.skipif(not (DEBIAN_ROOT / "data.noun").exists(), reason="WordNet not installed")
def test_wordnet_supersense_sample_is_balanced_disjoint_and_correctly_labelled():
    from zslkit.data.wordnet import default_wordnet

    # the chapter's sizes: 60 test documents per class, a labelled pool of 16
    test = load_text_dataset("wordnet_supersenses", "test", n_per_class=60, seed=3)
    train = load_text_dataset("wordnet_supersenses", "train", n_per_class=16, seed=3)
    assert np.bincount(test.labels).tolist() == [60] * 8
    assert np.bincount(train.labels).tolist() == [16] * 8
    spec = load_label_texts("wordnet_supersenses")
    lexname_of = {
        s.definition: s.lexname for s in default_wordnet().all_synsets()
    }  # glosses are near unique
    hits = [
        lexname_of[d] == spec["lexnames"][test.class_names[y]]
        for d, y in zip(test.documents, test.labels)
    ]
    assert np.mean(hits) > 0.98
    assert len(set(test.documents) & set(train.documents)) <= 1


def _tiny_dataset():
    from zslkit.domains.text import TextDataset

    documents = ["a striker scored twice", "the senate passed a bill", "a goal in extra time"]
    documents += ["parliament votes on the budget"]
    return TextDataset("tiny", "test", documents, np.array([0, 1, 0, 1]), ["sports", "politics"])


def test_describe_dataset_names_the_first_document_of_each_class():
    from zslkit.domains.text import describe_dataset

    expected = (
        "4 test documents, 2 classes: sports, politics\n"
        "      sports: a striker scored twice\n"
        "    politics: the senate passed a bill"
    )
    assert describe_dataset(_tiny_dataset()) == expected


def test_zero_shot_grid_equals_fitting_each_classifier_by_hand():
    from sklearn.metrics import f1_score

    from zslkit.domains.text import zero_shot_grid

    data = _tiny_dataset()
    spec = {"descriptions": None, "templates": ["This text is about {}."]}
    scores, predictions = zero_shot_grid(data, ["tfidf"], ["names", "templates"], spec)
    assert list(scores) == [("tfidf", "names"), ("tfidf", "templates")]
    for source in ("names", "templates"):
        # tf-idf by hand: cosine of each document to the mean label-text vector
        texts = (
            ["sports", "politics"]
            if source == "names"
            else [
                "This text is about sports.",
                "This text is about politics.",
            ]
        )
        vec = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit(data.documents + texts)
        expected = cosine_similarity(vec.transform(data.documents), vec.transform(texts)).argmax(1)
        np.testing.assert_array_equal(predictions["tfidf", source], expected)
        assert scores["tfidf", source]["macro"] == pytest.approx(
            f1_score(data.labels, expected, average="macro", zero_division=0)
        )


def test_few_shot_curve_equals_a_plain_loop_over_draws():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    from zslkit.domains.text import few_shot_curve

    rng = np.random.default_rng(0)
    centres = np.array([[2.0, 0.0], [0.0, 2.0], [-2.0, -2.0]])
    train_labels = np.repeat(np.arange(3), 6)
    test_labels = np.repeat(np.arange(3), 10)
    train = centres[train_labels] + rng.normal(0, 1.5, (18, 2))
    test = centres[test_labels] + rng.normal(0, 1.5, (30, 2))
    curve, predictions = few_shot_curve(
        train, train_labels, test, test_labels, [1, 2, 6], seed=3, n_draws=3
    )
    assert list(curve) == [1, 2, 6]
    for k in (1, 2, 6):
        runs = []
        for draw in range(3):
            r = np.random.default_rng(3 + draw)  # few_shot_indices: one choice per class in order
            idx = np.sort(
                np.concatenate(
                    [
                        r.choice(np.flatnonzero(train_labels == c), k, replace=False)
                        for c in range(3)
                    ]
                )
            )
            model = LogisticRegression(max_iter=2000).fit(train[idx], train_labels[idx])
            np.testing.assert_array_equal(predictions[k][draw], model.predict(test))
            runs.append(
                f1_score(test_labels, model.predict(test), average="macro", zero_division=0)
            )
        np.testing.assert_allclose(curve[k], runs)
    assert np.ptp(curve[6]) == 0.0  # k = 6 takes the whole pool of 6 per class every draw


def test_few_shot_report_shows_t_intervals_over_draws():
    from scipy import stats

    from zslkit.domains.text import few_shot_report

    lines = few_shot_report({2: np.array([0.5, 0.6, 0.7])}, 0.55, "names").splitlines()
    half = stats.t.ppf(0.975, 2) * 0.1 / np.sqrt(3)  # sd 0.1 over 3 draws
    assert lines[0] == "macro F1, mean [95 % t interval over draws]; minus names (0.550)"
    assert lines[1] == (
        f"    2 per class: 0.600 [{0.6 - half:.3f}, {0.6 + half:.3f}]"
        f"   minus names {0.05:+.3f} [{0.05 - half:+.3f}, {0.05 + half:+.3f}]"
    )
