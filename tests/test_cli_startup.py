"""Reading commands start fast: `asr-jobs jobs` must not import the matcher's numeric stack or datasette."""

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from asr_jobs.cli import cli


def test_importing_the_cli_leaves_the_heavy_modules_alone():
    code = ("import sys, asr_jobs.cli; heavy = [m for m in ('sklearn', 'scipy', 'asr_jobs.matcher', 'asr_jobs.ingest', "
            "'datasette') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_lazy_commands_are_listed_and_found():
    names = cli.list_commands(None)
    assert {"jobs", "show", "match", "profiles", "eval", "serve", "scrape", "import"} <= set(names)
    assert cli.get_command(None, "match").name == "match"


NUMERIC_OR_BROWSING = {"sklearn", "scipy", "numpy", "datasette"}


def modules_after(args: list[str], cwd: str = ".") -> set[str]:
    """The top-level modules (and asr_jobs.matcher) a fresh interpreter holds after running `asr-jobs ARGS`."""
    code = ("import sys; from click.testing import CliRunner; from asr_jobs.cli import cli; "
            f"r = CliRunner().invoke(cli, {args!r}); assert r.exit_code == 0, r.output; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} | "
            "({'asr_jobs.matcher'} & set(sys.modules)))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd).stdout
    return set(out.split())


def test_help_and_the_command_listing_import_no_matcher_numpy_or_datasette():
    loaded = modules_after(["--help"])
    assert "click" in loaded
    assert loaded & (NUMERIC_OR_BROWSING | {"asr_jobs.matcher"}) == set()


def test_import_and_scrape_never_import_scikit_learn_or_scipy(tmp_path):
    lines = [json.dumps({"id": f"p{i}", "title": f"Speech Scientist {i}", "url": f"https://example.org/{i}",
                         "location": "Remote", "description": "ASR research, PhD, publications at Interspeech."})
             for i in range(3)]
    (tmp_path / "postings.jsonl").write_text("\n".join(lines) + "\n")
    har = Path(__file__).parents[1] / "asr_jobs" / "demo" / "anthropic.har"
    imported = modules_after(["import", "postings.jsonl", "--lab", "remote", "--db", "jobs.db", "-q"], str(tmp_path))
    scraped = modules_after(["scrape", "anthropic", "--replay", str(har), "--db", "jobs.db", "-q"], str(tmp_path))
    assert "sqlite_utils" in imported and "sqlite_utils" in scraped
    assert imported & {"sklearn", "scipy", "asr_jobs.matcher"} == set()
    assert scraped & {"sklearn", "scipy", "asr_jobs.matcher"} == set()


def test_the_listing_shows_each_lazy_command_with_its_own_summary():
    listing = CliRunner().invoke(cli, ["--help"], terminal_width=200).output
    for name in cli.LAZY:
        summary = cli.get_command(None, name).get_short_help_str(1000)
        assert f"{name}  " in listing and summary in listing
        assert cli.LAZY[name][2] == summary


def test_a_large_import_imports_no_scikit_learn_or_scipy_in_its_worker_either(tmp_path):
    lines = [json.dumps({"id": f"p{i}", "title": f"Speech Scientist {i}", "url": f"https://example.org/{i}",
                         "description": f"ASR research {i}, PhD, publications at Interspeech."}) for i in range(1200)]
    (tmp_path / "postings.jsonl").write_text("\n".join(lines) + "\n")
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "from asr_jobs.cli import cli; cli()", "import",
                           "postings.jsonl", "--lab", "remote", "--db", "jobs.db", "-q"], capture_output=True,
                          text=True, check=True, cwd=tmp_path, env={**os.environ, "ASR_JOBS_WORKERS": ""})
    modules = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    processes = 2 if (os.cpu_count() or 1) >= 2 else 1
    assert modules.count("asr_jobs.prepare") == processes  # the worker's imports are in the report too
    # The worker imports no HTTP or SQLite library (it starts the sooner): only the main process does.
    assert modules.count("asr_jobs.ingest") == modules.count("httpx") == modules.count("sqlite_utils") == 1
    assert not [m for m in modules if m.split(".")[0] in ("sklearn", "scipy") or m.startswith("asr_jobs.matcher")]


def test_jobs_imports_no_http_client_or_adapter(tmp_path):
    lines = [json.dumps({"id": f"p{i}", "title": f"Speech Scientist {i}", "url": f"https://example.org/{i}",
                         "description": "ASR research."}) for i in range(3)]
    (tmp_path / "postings.jsonl").write_text("\n".join(lines) + "\n")
    for args in (["import", "postings.jsonl", "--lab", "remote"], ["match"]):
        subprocess.run([sys.executable, "-c", "from asr_jobs.cli import cli; cli()", *args, "--db", "jobs.db", "-q"],
                       cwd=tmp_path, check=True, capture_output=True)
    loaded = modules_after(["jobs", "--db", "jobs.db"], str(tmp_path))
    assert "sqlite_utils" in loaded and loaded & {"httpx", "selectolax", "defusedxml", "sklearn"} == set()
