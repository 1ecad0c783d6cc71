"""Reading and checking a notebook's papermill parameters.

The parameters live in the cell tagged ``parameters``, one per line, typed
and commented::

    seed: int = 0  # random seed for the split and the model
    backbone: str = "toyclip"  # a help text too long for one line goes on
    #   below it, in comment lines

papermill's own inspector reads them (name, type, default, help); this
module turns command-line strings into typed values and refuses unknown
names or wrong types before any kernel starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # "int", "float", "str", "bool" or "None" when not annotated
    default: str  # the default as written in the notebook
    help: str


def _continued_help(notebook: str | Path) -> dict[str, str]:
    """Comment lines right below a parameter continue its help (lines fit the book's width)::

    pretrained: str = ""  # weights: a tag of the backbone, a file, or
    #   "none" for random weights
    """
    import json
    import re

    cells = json.loads(Path(notebook).read_text()).get("cells", [])
    params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    extra: dict[str, str] = {}
    current = None
    for line in "".join(params[0]["source"]).splitlines() if params else []:
        if m := re.match(r"^(\w+)\s*(:[^=]*)?=", line):
            current = m.group(1)
        elif current and (m := re.match(r"^\s*#\s?(.*)$", line)):
            extra[current] = f"{extra.get(current, '')} {m.group(1).strip()}".strip()
        else:
            current = None
    return extra


def inspect_parameters(notebook: str | Path) -> dict[str, Parameter]:
    """Parameters of ``notebook`` in order, as papermill inspects them."""
    import papermill

    raw = papermill.inspect_notebook(str(notebook))
    extra = _continued_help(notebook)
    return {
        name: Parameter(
            name=name,
            type=str(p.get("inferred_type_name", "None")),
            default=str(p.get("default", "")),
            help=" ".join(filter(None, [str(p.get("help", "")), extra.get(name, "")])),
        )
        for name, p in raw.items()
    }


def parse_value(text: str) -> Any:
    """Parse a command-line value the way YAML does (``1`` -> int, ``true`` -> bool)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _matches(type_name: str, value: Any) -> bool:
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "str":
        return isinstance(value, str)
    return True  # unannotated or a richer type: papermill passes it through


def validate_parameters(notebook: str | Path, given: dict[str, Any]) -> dict[str, Any]:
    """Check ``given`` against the notebook's parameters; return typed values.

    A string given for a ``str`` parameter stays a string even if it looks
    like a number (``-p pretrained 2023`` is the string ``"2023"``).

    Raises
    ------
    ValueError
        naming the unknown parameter or the wrong type, and listing the
        notebook's valid parameters with their types.
    """
    params = inspect_parameters(notebook)
    valid = ", ".join(f"{p.name}: {p.type}" for p in params.values())
    out: dict[str, Any] = {}
    for name, value in given.items():
        if name not in params:
            raise ValueError(
                f"{Path(notebook).name} has no parameter {name!r}; valid parameters: {valid}"
            )
        ptype = params[name].type
        if ptype == "str" and not isinstance(value, str) and value is not None:
            value = str(value)
        if ptype == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not _matches(ptype, value):
            raise ValueError(
                f"parameter {name!r} of {Path(notebook).name} must be {ptype}, "
                f"got {value!r} ({type(value).__name__}); valid parameters: {valid}"
            )
        out[name] = value
    return out
