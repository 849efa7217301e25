"""Reading commands start fast: `asr-jobs jobs` must not import the matcher's numeric stack or datasette."""

import subprocess
import sys

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
