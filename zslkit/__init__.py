"""zslkit: the helper library behind the zslkit book on zero-shot learning.

Each public function says in its docstring which notebook of the book
teaches it. The notebooks call these helpers in one line and spend their
words on the idea.
"""

import warnings

# open_clip's hub client imports tqdm.auto, which warns in notebooks without
# ipywidgets; zslkit's own progress bars are plain text.
warnings.filterwarnings("ignore", message="IProgress not found")

from zslkit.checks import check_choice, check_range, resolve_device, set_seed  # noqa: E402
from zslkit.nbtools.results import glue, record, recorded  # noqa: E402

__all__ = [
    "glue",
    "record",
    "recorded",
    "check_choice",
    "check_range",
    "resolve_device",
    "set_seed",
]
__version__ = "0.1.0"
