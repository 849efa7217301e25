"""The README's "Adding a career system" checklist, enforced for every adapter the registry finds."""

import re
from pathlib import Path

import pytest

from asr_jobs.samplesites.sites import SIZES
from asr_jobs.scrapers.registry import adapter_names, load_labs

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BUILT_IN_SYSTEMS = {lab.adapter for lab in load_labs().values()}


def test_the_registry_finds_every_adapter_module():
    modules = {p.stem for p in (ROOT / "scrapers" / "adapters").glob("*.py") if not p.stem.startswith("_")}
    assert set(adapter_names()) == modules


def test_the_readme_states_the_checklist_the_tests_enforce():
    assert "### Adding a career system" in README and "tests/test_checklist.py" in README


@pytest.mark.parametrize("system", adapter_names())
def test_every_system_has_fixtures_tests_and_documented_params(system):
    missing = []
    if not list((ROOT / "tests" / "fixtures").glob(f"{system}_*")):
        missing.append(f"fixtures tests/fixtures/{system}_* (step 3)")
    if not (ROOT / "tests" / f"test_{system}.py").exists():
        missing.append(f"tests/test_{system}.py (step 4)")
    if f"| `{system}` |" not in README:
        missing.append("a row in the README's params table (step 6)")
    assert not missing, f"career system {system!r} lacks: {'; '.join(missing)}"


@pytest.mark.parametrize("system", sorted(BUILT_IN_SYSTEMS))
def test_every_system_a_built_in_lab_uses_has_a_sample_site(system):
    assert (ROOT / "asr_jobs" / "samplesites" / f"{system}.py").exists() and system in SIZES, (
        f"built-in labs use {system!r}: add asr_jobs/samplesites/{system}.py and its size in samplesites/sites.py (step 5)")


def test_the_readme_counts_the_built_in_labs_as_labs_toml_has_them():
    counts = {int(n) for n in re.findall(r"\b(\d+) labs\b", README)}
    assert counts == {len(load_labs())}, f"README names {sorted(counts)} labs; scrapers/labs.toml has {len(load_labs())}"


def test_the_readme_has_no_template_markers_left():
    assert not re.findall(r"^[A-Z][A-Z_]{6,}$", README, re.M), "a template marker line is left in README.md"
