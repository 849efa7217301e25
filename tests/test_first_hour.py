"""A new user's first hour through the shipped CLI: nothing destroyed, every error names its file and cause."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from asr_jobs.cli import cli
from asr_jobs.demo import DEMO_DIR
from asr_jobs.scrapers.registry import load_labs

from .conftest import FIXTURES, pdf_document

README = Path(__file__).parent.parent / "README.md"


@pytest.fixture
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASR_JOBS_DB", raising=False)
    monkeypatch.delenv("ASR_JOBS_LABS", raising=False)
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(tmp_path / "user-profiles"))
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


def one_line_error(result, *fragments: str) -> None:
    """The command failed with a single 'Error: ...' line holding every fragment (no traceback)."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: "), result.output
    for fragment in fragments:
        assert fragment in last, (fragment, last)


def import_board(runner, db: str = "real.db", lab: str = "anthropic"):
    shutil.copy(FIXTURES / "greenhouse_board.json", "board.json")
    result = runner.invoke(cli, ["import", "board.json", "--lab", lab, "--db", db])
    assert result.exit_code == 0, result.output
    return result


# --- 1. the demo replaces only its own database ------------------------------------------------------


def test_demo_replaces_its_own_database_and_refuses_any_other_file(runner, tmp_path):
    first = runner.invoke(cli, ["demo", "--limit", "3"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["demo", "--limit", "3"])
    assert again.exit_code == 0, again.output  # an earlier demo's database is replaced

    import_board(runner, "mine.db")
    before = (tmp_path / "mine.db").read_bytes()
    refused = runner.invoke(cli, ["demo", "--db", "mine.db"])
    one_line_error(refused, "mine.db", "the demo did not make")
    assert (tmp_path / "mine.db").read_bytes() == before
    assert sqlite3.connect(tmp_path / "mine.db").execute("SELECT count(*) FROM postings").fetchone()[0] == 2

    (tmp_path / "notes.txt").write_text("my notes\n")
    one_line_error(runner.invoke(cli, ["demo", "--db", "notes.txt"]), "notes.txt", "not a demo database")
    assert (tmp_path / "notes.txt").read_text() == "my notes\n"


def test_demo_help_does_not_claim_asr_jobs_db(runner):
    text = " ".join(runner.invoke(cli, ["demo", "--help"]).output.split())
    assert "default: demo.db" in text and "$ASR_JOBS_DB is not used" in text
    assert "default: $ASR_JOBS_DB" not in text


def test_show_help_example_id_exists_in_the_demo(runner):
    assert runner.invoke(cli, ["demo", "--limit", "1"]).exit_code == 0
    example = re.search(r"asr-jobs show (\w+) --db demo.db", runner.invoke(cli, ["show", "--help"]).output)
    assert example, "show --help has no example against demo.db"
    shown = runner.invoke(cli, ["show", example.group(1), "--db", "demo.db", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["id"] == example.group(1)


# --- 2. CVs as users have them --------------------------------------------------------------------------


def tiny_docx(path: Path, paragraphs: list[str]) -> None:
    """A minimal Word document: content types and word/document.xml with one paragraph per string."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{body}</w:body></w:document>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxml'
                         'formats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", document)


def added_text(runner, name: str, path: Path) -> str:
    result = runner.invoke(cli, ["profiles", "add", name, "--from", str(path)])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["profiles", "show", name, "--json"])
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.output)["text"]


def test_profiles_add_reads_pdf_docx_markdown_and_text(runner, tmp_path):
    (tmp_path / "cv.pdf").write_bytes(pdf_document(["Streaming speech recognition with RNN-T transducers"]))
    assert "Streaming speech recognition with RNN-T transducers" in added_text(runner, "from-pdf", tmp_path / "cv.pdf")

    tiny_docx(tmp_path / "cv.docx", ["Conformer ASR research", "Interspeech and ICASSP papers"])
    assert added_text(runner, "from-docx", tmp_path / "cv.docx") == "Conformer ASR research\nInterspeech and ICASSP papers"

    (tmp_path / "cv.md").write_text("# Me\n\nSee [my thesis](https://example.org/thesis.pdf) on **CTC**.\n")
    markdown = added_text(runner, "from-md", tmp_path / "cv.md")
    assert "my thesis" in markdown and "example.org" not in markdown

    # Control characters (form feeds of a PDF-to-text export, an escape) never reach the profile file.
    (tmp_path / "cv.txt").write_text("Speech\x0cresearch\x1b[0m and\x00 more\n", encoding="utf-8")
    listed = runner.invoke(cli, ["profiles", "add", "from-txt", "--from", str(tmp_path / "cv.txt")])
    one_line_error(listed, "cv.txt", "binary")  # a NUL byte: not text

    (tmp_path / "notes.txt").write_text("Speech\x0cresearch\x1b[0m on accents\r\n", encoding="utf-8")
    text = added_text(runner, "from-txt", tmp_path / "notes.txt")
    assert text == "Speech research [0m on accents"
    for command in (["profiles"], ["profiles", "show", "from-txt"]):
        assert runner.invoke(cli, command).exit_code == 0


def test_profiles_add_refuses_other_files_and_files_without_text(runner, tmp_path):
    (tmp_path / "scan.pdf").write_bytes(pdf_document([]))
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (tmp_path / "cv.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    (tmp_path / "latin1.txt").write_bytes("Résumé: speech research".encode("latin-1"))
    with zipfile.ZipFile(tmp_path / "sheet.docx", "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    cases = {"scan.pdf": "no text found", "photo.png": ".png files are not read", "cv.doc": ".doc files are not read",
             "broken.pdf": "not a readable PDF", "latin1.txt": "not UTF-8 text",
             "sheet.docx": "not a Word document"}
    for name, cause in cases.items():
        one_line_error(runner.invoke(cli, ["profiles", "add", "me", "--from", str(tmp_path / name)]), name, cause)
    assert not (tmp_path / "user-profiles").exists() or not list((tmp_path / "user-profiles").iterdir())


def test_a_broken_profile_file_is_skipped_with_a_warning_naming_it(runner, tmp_path):
    user = tmp_path / "user-profiles"
    user.mkdir()
    (user / "broken.toml").write_bytes(b'name = "broken"\ntext = \'\'\'\nCV \x07 text\n\'\'\'\n')
    (user / "good.toml").write_text('name = "good"\ntext = "speech recognition research"\n')
    listed = runner.invoke(cli, ["profiles", "--json"])
    assert listed.exit_code == 0, listed.output
    names = {row["name"] for row in json.loads(listed.stdout)}
    assert "good" in names and "asr-research" in names and "broken" not in names
    assert f"skipped a broken profile file: {user / 'broken.toml'}" in listed.stderr
    import_board(runner, "real.db")
    matched = runner.invoke(cli, ["match", "--db", "real.db", "--json"])
    assert matched.exit_code == 0, matched.output
    assert "good" in {row["profile"] for row in json.loads(matched.stdout)}


# --- 4. read-only commands never create a database -------------------------------------------------------


@pytest.mark.parametrize("command", [["jobs"], ["labs", "--json"], ["show", "abcd1234"], ["match"], ["serve"],
                                     ["eval", "labels.jsonl"]])
def test_read_only_commands_on_a_missing_database_create_nothing(runner, tmp_path, command):
    import_board(runner, "real.db")
    (tmp_path / "labels.jsonl").write_text('{"id": "1", "grade": 3}\n')
    result = runner.invoke(cli, [*command, "--db", "reel.db"])
    assert not (tmp_path / "reel.db").exists()
    if command[0] == "labs":  # still lists the configured labs, and says which file is missing
        assert result.exit_code == 0 and "no database at reel.db; try --db real.db" in result.stderr
        assert len(json.loads(result.stdout)) == len(load_labs())
    else:
        one_line_error(result, "no database at reel.db", "try --db real.db")
    default = runner.invoke(cli, command)  # the default path (jobs.db) is not created either
    assert not (tmp_path / "jobs.db").exists()
    if command[0] != "labs":
        one_line_error(default, "no database at jobs.db", "try --db real.db")


# --- 5. unknown names ----------------------------------------------------------------------------------------


def test_unknown_profile_and_lab_names_are_errors_with_suggestions(runner):
    import_board(runner, "real.db")
    assert runner.invoke(cli, ["match", "--db", "real.db"]).exit_code == 0
    one_line_error(runner.invoke(cli, ["jobs", "--db", "real.db", "--profile", "asr-reserch"]),
                   "unknown profile 'asr-reserch'", "did you mean asr-research")
    one_line_error(runner.invoke(cli, ["jobs", "--db", "real.db", "--profile", "nonexistent"]),
                   "unknown profile 'nonexistent'")
    one_line_error(runner.invoke(cli, ["jobs", "--db", "real.db", "--lab", "nvdia"]),
                   "unknown lab 'nvdia'", "did you mean nvidia")
    one_line_error(runner.invoke(cli, ["scrape", "antropic", "--db", "real.db"]), "antropic", "did you mean anthropic")
    one_line_error(runner.invoke(cli, ["profiles", "show", "streeming"]), "streeming", "did you mean streaming")
    one_line_error(runner.invoke(cli, ["match", "--profile", "streeming", "--db", "real.db"]),
                   "did you mean streaming")


def test_import_refuses_a_near_miss_lab_and_notes_a_new_one(runner, tmp_path):
    shutil.copy(FIXTURES / "greenhouse_board.json", "board.json")
    near = runner.invoke(cli, ["import", "board.json", "--lab", "anthrop", "--db", "real.db"])
    one_line_error(near, "unknown lab 'anthrop'", "did you mean anthropic")
    rows = [{"id": f"r{n}", "title": "Speech Scientist", "description": "ASR", "url": f"https://e.x/r{n}"}
            for n in (1, 2)]
    (tmp_path / "remote.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    new = runner.invoke(cli, ["import", "remote.jsonl", "--lab", "remote-board", "--db", "real.db"])
    assert new.exit_code == 0, new.output
    notes = [line for line in new.stderr.splitlines() if "not configured" in line]
    assert len(notes) == 1 and "remote-board" in notes[0]
    labs = {row["lab"]: row for row in json.loads(runner.invoke(cli, ["labs", "--db", "real.db", "--json"]).stdout)}
    assert labs["remote-board"]["open"] == 2 and "anthropic" in labs and "nvidia" in labs
    # Once it holds postings, the lab is known: jobs --lab accepts it, and a near miss of it is refused.
    assert runner.invoke(cli, ["import", "remote.jsonl", "--lab", "remote-board", "--db", "real.db"]).exit_code == 0
    one_line_error(runner.invoke(cli, ["import", "remote.jsonl", "--lab", "remote-bord", "--db", "real.db"]),
                   "did you mean remote-board")


# --- 6. a recording imported under the wrong lab ---------------------------------------------------------


def test_import_of_another_labs_recording_is_refused_naming_its_lab(runner, tmp_path):
    shutil.copy(DEMO_DIR / "nvidia.har", "session.har")
    wrong = runner.invoke(cli, ["import", "session.har", "--lab", "anthropic", "--db", "real.db"])
    one_line_error(wrong, "session.har is a recording of nvidia", "--lab nvidia")
    assert not (tmp_path / "real.db").exists()
    right = runner.invoke(cli, ["import", "session.har", "--lab", "nvidia", "--format", "har", "--db", "real.db"])
    assert right.exit_code == 0 and "har format" in right.output
    shutil.copy(DEMO_DIR / "ai2.har", "board-capture.json")  # a HAR under another name is recognized too
    one_line_error(runner.invoke(cli, ["import", "board-capture.json", "--lab", "google-deepmind", "--db", "real.db"]),
                   "recording of ai2")


# --- 7. errors name the file and the cause -------------------------------------------------------------------


def test_bad_input_files_are_named_with_their_cause(runner, tmp_path):
    import_board(runner, "real.db")
    (tmp_path / "binary.bin").write_bytes(b"\x00\x01\x02BINARY\xff")
    (tmp_path / "latin1.jsonl").write_bytes('{"id": "1", "title": "Ingénieur"}\n'.encode("latin-1"))
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\n")
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"ok")[:6])
    commands = {
        "import": ["import", "{}", "--lab", "anthropic", "--db", "real.db"],
        "eval": ["eval", "{}", "--db", "real.db"],
        "profiles build": ["profiles", "build", "{}", "--out", "out"],
        "--labs": ["labs", "--labs", "{}", "--db", "real.db"],
    }
    causes = {"binary.bin": "a binary file, not text", "latin1.jsonl": "not UTF-8 text (byte 0xe9 at offset 25)",
              "empty.json": "empty", "blank.txt": "empty (only white space)", "bad.gz": "not a readable gzip file"}
    for args in commands.values():
        for name, cause in causes.items():
            result = runner.invoke(cli, [a.replace("{}", name) for a in args])
            one_line_error(result, f"{name}: {cause}")


def test_db_in_a_missing_directory_or_not_sqlite_is_named(runner, tmp_path):
    shutil.copy(FIXTURES / "greenhouse_board.json", "board.json")
    one_line_error(runner.invoke(cli, ["import", "board.json", "--lab", "anthropic", "--db", "nowhere/x.db"]),
                   "--db nowhere/x.db: directory nowhere does not exist")
    one_line_error(runner.invoke(cli, ["demo", "--db", "nowhere/demo.db"]), "directory nowhere does not exist")
    (tmp_path / "notes.db").write_text("these are my notes, not a database\n")
    for args in (["import", "board.json", "--lab", "anthropic"], ["jobs"], ["labs"], ["match"], ["scrape", "ai2"]):
        one_line_error(runner.invoke(cli, [*args, "--db", "notes.db"]), "notes.db: not an SQLite database")
    assert (tmp_path / "notes.db").read_text() == "these are my notes, not a database\n"


# --- 11. --replay ------------------------------------------------------------------------------------------


def test_replay_takes_several_files_and_globs_and_defaults_to_their_labs(runner, tmp_path):
    (tmp_path / "runs").mkdir()
    for lab in ("anthropic", "openai", "speechmatics"):
        shutil.copy(DEMO_DIR / f"{lab}.har", tmp_path / "runs" / f"{lab}.har")
    positional = runner.invoke(cli, ["scrape", "--replay", "runs/anthropic.har", "runs/openai.har", "--db", "r.db"])
    one_line_error(positional, "runs/openai.har is a file, not a lab name", "use --replay for each file")
    both = runner.invoke(cli, ["scrape", "--replay", "runs/anthropic.har", "--replay", "runs/openai.har",
                               "--db", "r.db", "--json"])
    assert both.exit_code == 0, both.output
    assert [(row["lab"], row["status"]) for row in json.loads(both.stdout)] == [("anthropic", "ok"), ("openai", "ok")]
    globbed = runner.invoke(cli, ["scrape", "--replay", "runs/*.har", "--db", "r.db", "--json"])
    assert globbed.exit_code == 0, globbed.output
    assert {row["lab"] for row in json.loads(globbed.stdout)} == {"anthropic", "openai", "speechmatics"}
    one_line_error(runner.invoke(cli, ["scrape", "--replay", "none/*.har", "--db", "r.db"]),
                   "--replay none/*.har: no file matches")


# --- 13. small ones ----------------------------------------------------------------------------------------


def test_limit_and_output_flags_are_checked(runner):
    import_board(runner, "real.db")
    assert runner.invoke(cli, ["match", "--db", "real.db"]).exit_code == 0
    negative = runner.invoke(cli, ["jobs", "--db", "real.db", "--limit", "-5"])
    assert negative.exit_code == 2 and "--limit must be 0 (all) or more" in negative.output
    both = runner.invoke(cli, ["jobs", "--db", "real.db", "--json", "--csv"])
    assert both.exit_code == 2 and "--json and --csv together" in both.output
    everything = json.loads(runner.invoke(cli, ["jobs", "--db", "real.db", "--limit", "0", "--json"]).stdout)
    one = json.loads(runner.invoke(cli, ["jobs", "--db", "real.db", "--limit", "1", "--json"]).stdout)
    assert everything and everything[:1] == one


def test_new_with_nothing_new_says_so(runner, tmp_path):
    shutil.copy(DEMO_DIR / "anthropic.har", "anthropic.har")
    assert runner.invoke(cli, ["scrape", "--replay", "anthropic.har", "--db", "r.db"]).exit_code == 0
    time.sleep(1.1)  # run times and first_seen are whole seconds: the second run must start a second later
    assert runner.invoke(cli, ["scrape", "--replay", "anthropic.har", "--db", "r.db"]).exit_code == 0
    assert runner.invoke(cli, ["match", "--db", "r.db"]).exit_code == 0
    table = runner.invoke(cli, ["jobs", "--db", "r.db", "--new"])
    assert table.exit_code == 0 and "nothing new" in table.stderr and table.stdout == ""
    as_json = runner.invoke(cli, ["jobs", "--db", "r.db", "--new", "--json"])
    assert json.loads(as_json.stdout) == [] and "nothing new" in as_json.stderr


def test_readme_lab_file_example_keeps_every_built_in_lab_working(tmp_path):
    """Copied verbatim, the README's my-labs.toml adds and tunes labs; it must not point one at a local server."""
    block = re.search(r"```toml\n# my-labs.toml\n(.*?)```", README.read_text(), re.S)
    assert block, "README has no my-labs.toml example"
    (tmp_path / "my-labs.toml").write_text(block.group(1))
    built_in, mine = load_labs(), load_labs(tmp_path / "my-labs.toml")
    for name, lab in built_in.items():
        assert mine[name].params == lab.params, name
    assert set(mine) > set(built_in)


def test_readme_says_where_the_figures_data_comes_from():
    text = README.read_text()
    section = text[text.index("### Reproduce"):text.index("### Results")]
    assert "../shared" in section and "not in the repository" in section and "SHARED=" in section
