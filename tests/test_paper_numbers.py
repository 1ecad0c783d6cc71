"""data/paper_numbers.json, the "Reproduce the papers" page and the results page's paper column.

Every command the page lists must name an existing notebook, parameters that
notebook declares with values its own checks accept, and a figure that the
committed notebook records; the page must be the one generated from the data
file, and the numbers those the sources state.
"""

import ast
import json
import re
import shlex
from pathlib import Path

import nbformat
import open_clip
import pytest

from zslkit import check_choice
from zslkit.data import datasets
from zslkit.data.benchmarks import (
    PAPER_FIELDS,
    check_benchmark,
    load_paper_numbers,
    paper_number,
    reference_number,
)
from zslkit.nbtools.book import results_markdown
from zslkit.nbtools.notebook_params import inspect_parameters, parse_value, validate_parameters
from zslkit.nbtools.results import paper_column, reproduce_commands, reproduce_markdown
from zslkit.paths import data_dir, notebooks_dir, repo_dir

ROOT = repo_dir()
COMMANDS = reproduce_commands()


def _defaults(notebook: Path) -> dict:
    return {p.name: ast.literal_eval(p.default) for p in inspect_parameters(notebook).values()}


def _check_zero_shot(params: dict) -> None:
    from zslkit.models import backbones, prompts

    check_choice("backbone", params["backbone"], backbones.list_backbones())
    check_choice("dataset", params["dataset"], datasets.list_datasets())
    check_choice("template_set", params["template_set"], prompts.list_template_sets())


def _check_gzsl(params: dict) -> None:
    from zslkit.data.semantics import SPACES

    check_benchmark(params["dataset"], params["split"])
    check_choice("space", params["space"], SPACES)


def _check_quantization(params: dict) -> None:
    from zslkit.domains import quantization

    check_choice("model_name", params["model_name"], quantization.list_classifiers())
    check_choice("dataset", params["dataset"], ["fashion_mnist", *datasets.list_datasets()])
    check_choice("act_range", params["act_range"], quantization.ACT_RANGES)
    quantization.parse_configs(params["bit_widths"])


def _part_three(name: str):
    from zslkit.adapt import parameters

    return getattr(parameters, name)


# each notebook's own validation (the checks of its first code cell)
CHECKS = {
    "10_attributes_eszsl": lambda p: check_benchmark(p["dataset"], p["split"]),
    "12_gzsl_calibration": _check_gzsl,
    "20_prompt_ensembling": _check_zero_shot,
    "30_training_free_adapters": lambda p: _part_three("check_few_shot_parameters")(p),
    "31_prompt_learning": lambda p: _part_three("check_prompt_learning_parameters")(p),
    "32_pseudo_labels_tta": lambda p: _part_three("check_pseudo_label_parameters")(p),
    "44_data_free_quantization": _check_quantization,
}


def test_every_number_has_its_fields_a_unique_id_and_a_cited_source():
    bib = (ROOT / "book" / "references.bib").read_text()
    numbers = load_paper_numbers()["numbers"]
    assert len({n["id"] for n in numbers}) == len(numbers)
    for number in numbers:
        assert set(number) == set(PAPER_FIELDS), number["id"]
        assert all(str(number[f]).strip() for f in PAPER_FIELDS), number["id"]
        assert len(number["id"].split("/")) == 3, number["id"]
        assert 0 < number["value"] < 1, number["id"]  # fractions, like the recorded figures
        assert f"{{{number['cite']},\n" in bib, f"{number['id']}: no BibTeX entry {number['cite']}"


def test_the_numbers_are_those_the_sources_state():
    # hand-typed from the sources named in the data file's note
    stated = {
        ("clip_vitb16_openai_zpe_paper", "imagenet", "ensemble80_top1"): 0.6857,  # ZPE: 68.57
        ("clip_vitb16_openai_zpe_paper", "imagenet", "class_name_top1"): 0.6418,
        ("tip_adapter_clip_openai_16shot", "imagenet_rn50", "tip_adapter_f_top1"): 0.6551,
        ("gda_clip_openai_16shot", "imagenet_rn50", "gda_top1"): 0.6382,
        ("gda_clip_openai_16shot", "imagenet_vitb32", "gda_top1"): 0.67,
        ("gda_clip_openai_16shot", "imagenet_vitb16", "gda_top1"): 0.7224,
        ("eszsl_attributes", "cub", "zsl_top1"): 0.539,
        ("clip_benchmark_vitb32_openai", "eurosat", "zero_shot_top1"): 0.5044,
        ("clip_benchmark_vitb32_openai", "imagenet", "zero_shot_top1"): 0.6332,
    }
    for key, value in stated.items():
        assert reference_number(*key) == value, key
        assert paper_number("/".join(key))["value"] == value
    assert reference_number("eszsl_attributes", "fashion_mnist", "zsl_top1") is None


def test_unknown_number_id_names_the_valid_ids():
    with pytest.raises(ValueError, match=r"number_id='zpe/x/y' is not valid; choose one of: "):
        paper_number("zpe/x/y")


def test_no_reader_is_left_on_the_old_file():
    assert not (data_dir() / "reference_numbers.json").exists()
    for path in [*notebooks_dir().glob("*.ipynb"), *(ROOT / "zslkit").rglob("*.py")]:
        assert "reference_numbers.json" not in path.read_text(), path


def test_at_least_ten_commands_each_for_a_known_number():
    assert len(COMMANDS) >= 10
    ids = {n["id"] for n in load_paper_numbers()["numbers"]}
    assert {c["number"] for c in COMMANDS} <= ids
    assert len({c["number"] for c in COMMANDS}) == len(COMMANDS)
    assert all(c["differs"].strip() for c in COMMANDS)


@pytest.mark.parametrize("entry", COMMANDS, ids=[c["number"] for c in COMMANDS])
def test_command_names_a_notebook_its_parameters_and_a_figure_it_records(entry):
    words = shlex.split(entry["command"])
    assert words[:2] == ["zslkit", "run"]
    notebook = notebooks_dir() / f"{words[2]}.ipynb"
    assert notebook.exists(), f"no notebook {words[2]}"
    pairs = words[3:]
    assert pairs[::3] == ["-p"] * (len(pairs) // 3) and len(pairs) % 3 == 0
    given = {name: parse_value(value) for name, value in zip(pairs[1::3], pairs[2::3])}
    typed = validate_parameters(notebook, given)  # declared names, right types
    assert typed == entry["parameters"]
    CHECKS[notebook.stem]({**_defaults(notebook), **typed})  # the notebook's own checks
    if "pretrained" in typed:
        assert (typed["backbone"], typed["pretrained"]) in open_clip.list_pretrained()
    results = nbformat.read(notebook, as_version=4).metadata["zslkit"]["results"]
    figure = entry["figure"]
    if figure not in results:  # named after a parameter value the default run lacks
        assert "default_figure" in entry, f"{notebook.stem} records no figure {figure}"
        default = entry["default_figure"]
        assert default in results, f"{notebook.stem} records no figure {default}"
        prefix = re.sub(r"W\d+A\d+$", "", default)
        assert figure.startswith(prefix) and figure[len(prefix) :] in typed["bit_widths"]


def test_the_book_page_is_the_one_generated_from_the_data_file():
    page = (ROOT / "book" / "reproduce.md").read_text()
    assert page == reproduce_markdown(), "rewrite it: zslkit.nbtools.results.write_reproduce_page()"
    assert all(f"```bash\n{c['command']}\n```" in page for c in COMMANDS)
    assert "68.57 %" in page and "{cite}`allingham2023simple`" in page
    toc = (ROOT / "book" / "_toc.yml").read_text()
    assert "- file: reproduce\n" in toc


def test_results_page_shows_the_paper_number_beside_its_figure():
    column = paper_column("20_prompt_ensembling")
    assert column["class_name_top1"] == "64.18 % (CLIP ViT-B/16 openai, ImageNet)"
    assert "68.57 %" in column["ensemble_top1"] and "50.44 %" in column["ensemble_top1"]
    assert paper_column("00_what_is_zero_shot") == {}
    runs = {
        "20_prompt_ensembling": {"results": {"ensemble_top1": 0.5, "n_draws": 3}},
        "00_what_is_zero_shot": {"results": {"zsl_top1": 0.25}},
    }
    page = results_markdown(runs)
    lines = page.splitlines()
    row = next(line for line in lines if line.startswith("| `ensemble_top1` | 0.5 |"))
    assert "68.57 % (CLIP ViT-B/16 openai, ImageNet)" in row
    assert "| `n_draws` | 3 |  |" in lines
    assert "| `zsl_top1` | 0.25 |" in lines  # no paper column where no number exists


def test_data_file_is_valid_json_with_a_note():
    table = json.loads((data_dir() / "paper_numbers.json").read_text())
    assert set(table) == {"note", "methods", "numbers", "reproduce"}
    assert {n["id"].split("/")[0] for n in table["numbers"]} == set(table["methods"])
    assert "reference_number" in table["note"]
