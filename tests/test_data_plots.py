"""zslkit.data.plots: the image grid holds the images and labels it is given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from zslkit.data import world  # noqa: E402
from zslkit.data.plots import plot_image_grid  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_column_titles_and_row_labels():
    names = ["red star", "blue heart", "green ring"]
    rows = [world.make_images(names, 1, variant=v, seed=0)[0] for v in ("photo", "sketch")]
    fig, axes = plot_image_grid(rows, names, ["photo", "sketch"], suptitle="S")
    assert isinstance(fig, matplotlib.figure.Figure) and axes.shape == (2, 3)
    assert len(fig.axes) == 6 and fig.get_suptitle() == "S"
    for r in range(2):
        for c in range(3):
            (image,) = axes[r, c].get_images()
            np.testing.assert_array_equal(image.get_array(), rows[r][c])
            assert list(axes[r, c].get_xticks()) == [] and list(axes[r, c].get_yticks()) == []
            assert axes[r, c].get_title() == (names[c] if r == 0 else "")
            assert axes[r, c].spines["left"].get_visible()
    assert [axes[r, 0].get_ylabel() for r in range(2)] == ["photo", "sketch"]
    assert axes[0, 1].get_ylabel() == ""


def test_per_image_titles_without_frames():
    names = [["red star", "blue heart"], ["green ring", "white cross"]]
    rows = [world.make_images(row, 1, seed=1)[0] for row in names]
    fig, axes = plot_image_grid(rows, names, ["seen", "unseen"], frame=False, title_size=8)
    assert [[ax.get_title() for ax in row] for row in axes] == names
    assert axes[1, 1].title.get_fontsize() == 8
    assert not any(s.get_visible() for ax in axes.flat for s in ax.spines.values())
    assert axes[1, 0].get_ylabel() == "unseen"


def test_rows_of_unequal_length_are_refused():
    a = np.zeros((2, 4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="every row needs 2 images"):
        plot_image_grid([a, a[:1]])
