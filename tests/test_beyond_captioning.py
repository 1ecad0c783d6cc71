"""zslkit.beyond.captioning against hand-worked cases, numpy, scipy and sacrebleu."""

import numpy as np
import pytest
import sacrebleu
import torch
from scipy.special import softmax

from zslkit.beyond import captioning as cap


def test_tokens_round_trip():
    text = "il y a une étoile bleue sur l'image."
    tokens = cap.tokenize(text)
    assert tokens == ["il", "y", "a", "une", "étoile", "bleue", "sur", "l'", "image", "."]
    assert cap.detokenize(tokens) == text
    vocab = cap.Vocabulary.from_texts([text])
    ids = vocab.encode([text], max_len=12)
    assert ids.shape == (1, 14) and ids[0, 0] == cap.BOS and ids[0, 11] == cap.EOS
    assert vocab.decode(ids[0, 1:].tolist()) == text


def test_attribute_scores_hand_worked():
    truths = [
        {"colour": "red", "shape": "circle", "pattern": "striped", "size": "large"},
        {"colour": "blue", "shape": "star", "pattern": "dotted", "size": "small"},
        {"colour": "green", "shape": "ring", "pattern": "solid", "size": "small"},
    ]
    captions = [
        "a photo of a large red striped circle.",  # all right
        "a picture of a blue checked square.",  # colour right, shape and pattern wrong
        "a green red ring.",  # two colours: colour wrong; shape right
    ]
    s = cap.attribute_scores(captions, truths)
    np.testing.assert_array_equal(s["colour"], [1, 1, 0])
    np.testing.assert_array_equal(s["shape"], [1, 0, 1])
    np.testing.assert_array_equal(s["both"], [1, 0, 0])
    np.testing.assert_array_equal(s["pattern"], [1, 0, np.nan])
    np.testing.assert_array_equal(s["size"], [1, np.nan, np.nan])
    np.testing.assert_array_equal(s["pattern_named"], [1, 1, 0])
    french = ["une grande étoile bleue à pois.", "un petit anneau vert rayé."]
    f = cap.attribute_scores(french, truths[1:], language="fr")
    np.testing.assert_array_equal(f["both"], [1, 1])
    np.testing.assert_array_equal(f["pattern"], [1, 0])  # dotted right; striped, not solid
    np.testing.assert_array_equal(f["size"], [0, 1])  # grande is large, not small


def test_french_captions_agree_in_gender():
    objects = [
        {"colour": "blue", "shape": "star", "pattern": "dotted", "size": "large"},
        {"colour": "white", "shape": "circle", "pattern": "striped", "size": "small"},
    ]
    every = {"colour": 1.0, "shape": 1.0, "pattern": 1.0, "size": 1.0}
    captions = cap.french_captions(objects, seed=0, mention_prob=every)
    assert "une grande étoile bleue à pois" in captions[0]
    assert "un petit cercle blanc rayé" in captions[1]
    assert all(cap.french_agreement(c) for c in captions)
    assert not cap.french_agreement("une photo d'un étoile bleue.")
    assert not cap.french_agreement("une photo d'une étoile blanc.")
    assert cap.concept_prompt(captions[0]) == "a photo of a large blue dotted star."
    assert len(set(cap.concept_memory())) == 8 * 8 * 5 * 3


def test_gap_and_remedies_against_numpy():
    rng = np.random.default_rng(0)
    img = rng.normal(size=(20, 5)) + 1.0
    txt = rng.normal(size=(30, 5)) - 1.0
    assert cap.modality_gap(img, txt) == pytest.approx(
        np.sqrt(((txt.mean(0) - img.mean(0)) ** 2).sum())
    )
    gap = cap.gap_vector(img, txt)
    shifted = cap.shift_by_gap(img, gap)
    expected = (img + gap) / np.linalg.norm(img + gap, axis=1, keepdims=True)
    np.testing.assert_allclose(shifted, expected)
    weights = softmax(img @ txt.T / 0.5, axis=1)
    mixed = weights @ txt
    np.testing.assert_allclose(
        cap.project_to_memory(img, txt, 0.5),
        mixed / np.linalg.norm(mixed, axis=1, keepdims=True),
    )
    nearest = txt[(img @ txt.T).argmax(1)]  # tau -> 0: the most similar memory row
    np.testing.assert_allclose(
        cap.project_to_memory(img, txt, 1e-4),
        nearest / np.linalg.norm(nearest, axis=1, keepdims=True),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="dimensions"):
        cap.gap_vector(img, txt[:, :3])


def test_bleu_matches_sacrebleu():
    hyps = ["a photo of a red circle.", "a blue star."]
    refs = [
        ["a photo of a red circle.", "a red circle."],
        ["a picture of a blue star.", "the blue star."],
    ]
    assert cap.corpus_bleu(hyps[:1], refs[:1]) == pytest.approx(100.0)  # exact match
    streams = [[r[0] for r in refs], [r[1] for r in refs]]
    assert cap.corpus_bleu(hyps, refs) == pytest.approx(sacrebleu.corpus_bleu(hyps, streams).score)
    np.testing.assert_allclose(
        cap.sentence_bleus(hyps, refs),
        [sacrebleu.sentence_bleu(h, r).score for h, r in zip(hyps, refs)],
    )
    with pytest.raises(ValueError, match="same number"):
        cap.corpus_bleu(hyps, [refs[0], refs[1][:1]])


def test_decoder_reproduces_its_training_captions():
    captions = ["a photo of a red circle.", "a blue star.", "the large green striped ring."]
    z = torch.nn.functional.normalize(
        torch.randn(3, 16, generator=torch.Generator().manual_seed(0))
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny GRU: more threads only contend
    try:
        decoder, vocab, history = cap.train_decoder(
            z.numpy(), captions, epochs=60, batch_size=3, hidden=32, lr=1e-2
        )
    finally:
        torch.set_num_threads(threads)
    assert history[-1] < 0.1 * history[0]  # the teacher-forced loss falls
    assert cap.greedy_decode(decoder, vocab, z.numpy()) == captions


def test_bad_input():
    with pytest.raises(ValueError, match="language"):
        cap.parse_attributes("a red circle.", language="de")
    with pytest.raises(ValueError, match="one row per caption"):
        cap.train_decoder(np.zeros((2, 4)), ["a red circle."])
    with pytest.raises(ValueError, match="noise_std"):
        cap.train_decoder(np.zeros((1, 4)), ["a red circle."], noise_std=-1.0)
    with pytest.raises(ValueError, match="names no shape"):
        cap.concept_prompt("une photo rouge.")
    with pytest.raises(ValueError, match="temperature"):
        cap.project_to_memory(np.ones((1, 2)), np.ones((1, 2)), temperature=0.0)


def test_full_tier_loaders_read_the_released_layouts(tmp_path):
    import gzip
    import json

    coco = tmp_path / "coco" / "annotations"
    coco.mkdir(parents=True)
    annotations = {  # the fields of COCO's captions_val2017.json
        "images": [
            {"id": 7, "file_name": "000000000007.jpg", "height": 4, "width": 4},
            {"id": 3, "file_name": "000000000003.jpg", "height": 4, "width": 4},
            {"id": 9, "file_name": "000000000009.jpg", "height": 4, "width": 4},
        ],
        "annotations": [
            {"id": 1, "image_id": 3, "caption": "A cat on a mat. "},
            {"id": 2, "image_id": 7, "caption": "A red bus."},
            {"id": 3, "image_id": 3, "caption": "A sleeping cat."},
        ],
    }
    (coco / "captions_val2017.json").write_text(json.dumps(annotations))
    paths, captions = cap.load_coco_captions(tmp_path)
    assert [p.name for p in paths] == ["000000000007.jpg", "000000000003.jpg"]  # 9 has none
    assert paths[0].parent == tmp_path / "coco" / "val2017"
    assert captions == [["A red bus."], ["A cat on a mat.", "A sleeping cat."]]
    assert len(cap.load_coco_captions(tmp_path, n_images=1)[0]) == 1

    task1 = tmp_path / "multi30k" / "data" / "task1"
    (task1 / "raw").mkdir(parents=True)
    (task1 / "image_splits").mkdir()
    with gzip.open(task1 / "raw" / "test_2016_flickr.fr.gz", "wt", encoding="utf-8") as f:
        f.write("Un homme en vélo.\nDeux chiens jouent.\n")
    (task1 / "image_splits" / "test_2016_flickr.txt").write_text("1.jpg\n2.jpg\n")
    paths, captions = cap.load_multi30k(tmp_path, "fr")
    assert [p.name for p in paths] == ["1.jpg", "2.jpg"]
    assert captions == ["Un homme en vélo.", "Deux chiens jouent."]

    with pytest.raises(FileNotFoundError, match="captions_train2017.json"):
        cap.load_coco_captions(tmp_path, split="train2017")
    with pytest.raises(FileNotFoundError, match="test_2016_flickr.en"):
        cap.load_multi30k(tmp_path, "en")
    with pytest.raises(ValueError, match="language"):
        cap.load_multi30k(tmp_path, "de")
