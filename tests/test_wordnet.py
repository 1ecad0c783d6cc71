"""The WordNet reader against hand-checked entries: a fake database written here, then the real one."""

import pytest

from zslkit.data.wordnet import LEXNAMES, WordNet, _parse, wordnet_root


def _write_fake(folder):
    """Two synsets in the wndb format; offsets are the byte positions of their lines."""
    header = "  1 This is a fake WordNet header line\n"
    shoe = (
        "{:08d} 06 n 02 shoe 0 brogan 0 001 @ {:08d} n 0000 | footwear shaped to fit the foot  \n"
    )
    footwear = (
        '{:08d} 06 n 01 footwear 0 000 | clothing worn on a person\'s feet; "a pair of shoes"  \n'
    )
    off_shoe = len(header)
    off_foot = off_shoe + len(shoe.format(0, 0))
    (folder / "data.noun").write_text(
        header + shoe.format(off_shoe, off_foot) + footwear.format(off_foot)
    )
    (folder / "index.noun").write_text(
        header + f"footwear n 1 1 ~ 1 0 {off_foot:08d}  \nshoe n 1 1 @ 1 0 {off_shoe:08d}  \n"
    )
    return off_shoe, off_foot


def test_fake_database_round_trip(tmp_path):
    off_shoe, off_foot = _write_fake(tmp_path)
    wn = WordNet(tmp_path)
    shoe = wn.synsets("Shoe")[0]
    assert shoe.offset == off_shoe and shoe.words == ("shoe", "brogan")
    assert shoe.lexname == "noun.artifact" == LEXNAMES[6]
    assert shoe.gloss == "footwear shaped to fit the foot"
    assert shoe.hypernyms == (off_foot,)
    assert wn.synset(off_foot).definition == "clothing worn on a person's feet"
    assert [[s.name for s in path] for path in wn.hypernym_paths(off_shoe)] == [
        ["shoe", "footwear"]
    ]
    assert wn.lookup("leather shoe").name == "shoe"  # falls back to the last word
    assert wn.synsets("sock") == []
    with pytest.raises(KeyError, match="sock"):
        wn.lookup("sock")
    wn.close()


def test_parse_counts_words_in_hex():
    line = "00000001 06 n 0b " + " ".join(f"w{i} 0" for i in range(11)) + " 000 | eleven words"
    assert len(_parse(line).words) == 11


def test_missing_folder_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="wordnet-base"):
        wordnet_root(tmp_path / "nowhere")


@pytest.mark.skipif(
    not (wordnet_root.__globals__["DEBIAN_ROOT"] / "data.noun").exists(),
    reason="Debian wordnet-base not installed",
)
def test_real_wordnet_entries():
    wn = WordNet()
    sandal = wn.lookup("Sandal")
    assert sandal.definition == "a shoe consisting of a sole fastened by straps to the foot"
    assert sandal.lexname == "noun.artifact"
    chain = [s.name for s in wn.hypernym_paths(sandal.offset)[0]]
    assert chain[:3] == ["sandal", "shoe", "footwear"] and chain[-1] == "entity"
    assert wn.lookup("T-shirt/top").words == ("jersey", "t-shirt", "tee_shirt")  # via "t-shirt"
    assert wn.lookup("Ankle boot").definition == "footwear that covers the whole foot and lower leg"
    assert wn.lookup("dog").lexname == "noun.animal"
