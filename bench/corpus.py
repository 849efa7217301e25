"""The real-postings corpus (../shared/corpus-remote-jobs.jsonl.gz), repeated to any size as further companies'
postings: each copy has its own ids, company names and texts, so a larger database holds no more duplicates
than the corpus does (none: no two of its postings have the same title and description).

Databases are filled by `asr-jobs import` itself (bench/store.py), so that the import figures are the product's.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from asr_jobs.db import store
from asr_jobs.models import Posting
from asr_jobs.readers import merged_batches
from asr_jobs.scrapers.adapters import jsonl
from asr_jobs.scrapers.registry import ad_hoc_lab
from asr_jobs.textfiles import file_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus-remote-jobs.jsonl.gz"
LAB = "remote"


def find_corpus(given: str | None) -> Path | None:
    """The corpus given, else ../shared/corpus-remote-jobs.jsonl.gz beside the repository, else None."""
    if given:
        path = Path(given)
        if not path.is_file():
            raise SystemExit(f"corpus not found: {path}")
        return path
    return DEFAULT_CORPUS if DEFAULT_CORPUS.is_file() else None


def rows(path: Path, count: int | None = None) -> Iterator[dict]:
    """Corpus rows, read as a stream; past the end the corpus starts again with ids suffixed ~1, ~2, ..."""
    produced, copy = 0, 0
    while count is None or produced < count:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                row = json.loads(line)
                if copy:
                    row.update(_copied(row, copy, produced))
                yield row
                produced += 1
                if count is not None and produced >= count:
                    return
        if count is None:
            return
        copy += 1


def _copied(row: dict, copy: int, number: int) -> dict:
    """A row's fields in its copy-th repetition. Other companies (so each copy's boilerplate and duplicate groups
    are the corpus's own, not 7 times as many postings of one company) and a text of its own: a matcher that
    reuses the counts of texts it has already seen (matcher/token_cache.py) must tokenize every copy afresh, as
    the bare baseline does."""
    return {"id": f"{row['id']}~{copy}", "company": f"{row.get('company') or ''} ~{copy}".strip(),
            "description": f"{row.get('description') or ''}\n\nReference: {copy}-{number}"}


def postings(path: Path, count: int | None = None) -> Iterator[list[Posting]]:
    """Corpus rows as postings of the lab `remote`, BATCH at a time."""
    lab = ad_hoc_lab(LAB)
    url = file_url(path)
    yield from merged_batches(jsonl.parse_row(row, lab, url, number) for number, row in enumerate(rows(path, count), 1))


def texts(db_path: Path) -> Iterator[str]:
    """Each open posting's title, team and description as one text, streamed from SQLite: what a bare TF-IDF
    is given (the matcher streams its rows too, so neither holds every text in a Python list)."""
    db = store.open_db(db_path)
    try:
        for title, team, description in db.execute(
                "SELECT title, team, description FROM postings WHERE status != 'closed' ORDER BY id"):
            yield f"{title}\n{team or ''}\n{description or ''}"
    finally:
        db.conn.close()
