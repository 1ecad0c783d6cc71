"""environment.yml (conda) and pyproject.toml (pip) must list the same packages."""

import re
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PYPI = {"pytorch": "torch"}
NOT_PACKAGES = {"pip"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_requirements() -> tuple[dict[str, SpecifierSet], SpecifierSet]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    out = {}
    for r in map(Requirement, reqs):
        out[canonical(r.name)] = r.specifier
    return out, SpecifierSet(meta["requires-python"])


def conda_requirements() -> tuple[dict[str, SpecifierSet], SpecifierSet]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    out, python = {}, None
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if line.startswith("-e"):
                    continue
                r = Requirement(line)
                out[canonical(r.name)] = r.specifier
            continue
        r = Requirement(dep.replace(" ", ""))
        name = CONDA_TO_PYPI.get(r.name, r.name)
        if name == "python":
            python = r.specifier
        elif name not in NOT_PACKAGES:
            out[canonical(name)] = r.specifier
    return out, python


def test_same_packages_and_versions():
    pip_reqs, pip_python = pyproject_requirements()
    conda_reqs, conda_python = conda_requirements()
    assert pip_python == conda_python
    missing_in_conda = sorted(set(pip_reqs) - set(conda_reqs))
    missing_in_pip = sorted(set(conda_reqs) - set(pip_reqs))
    assert not missing_in_conda, f"in pyproject.toml only: {missing_in_conda}"
    assert not missing_in_pip, f"in environment.yml only: {missing_in_pip}"
    differ = {
        n: (str(pip_reqs[n]), str(conda_reqs[n])) for n in pip_reqs if pip_reqs[n] != conda_reqs[n]
    }
    assert not differ, f"version ranges differ (pyproject, environment.yml): {differ}"


def test_constraints_pin_every_dependency_exactly_within_its_range():
    pip_reqs, _ = pyproject_requirements()
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            r = Requirement(line)
            (spec,) = r.specifier
            assert spec.operator == "==", f"{line} is not an exact pin"
            name = canonical(r.name)
            assert name not in pins, f"{name} is pinned twice ({pins.get(name)} and {spec.version})"
            pins[name] = spec.version
    for name, spec in pip_reqs.items():
        assert name in pins, f"{name} has no exact pin in requirements/constraints.txt"
        assert spec.contains(pins[name], prereleases=True), f"{name}=={pins[name]} outside {spec}"
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"


def test_runtime_torch_is_a_range_not_a_pin():
    pip_reqs, _ = pyproject_requirements()
    assert not any(s.operator == "==" for s in pip_reqs["torch"])
