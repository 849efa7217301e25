"""The benchmark's larger databases repeat the corpus as other companies' postings, with no text twice."""

from __future__ import annotations

import gzip
import json

from bench.corpus import rows


def test_copies_of_the_corpus_have_ids_companies_and_texts_of_their_own(tmp_path):
    path = tmp_path / "corpus.jsonl.gz"
    originals = [{"id": "a", "title": "Speech Scientist", "company": "Acme", "description": "ASR research."},
                 {"id": "b", "title": "Speech Scientist", "company": None, "description": "TTS research."}]
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(row) + "\n" for row in originals)
    repeated = list(rows(path, 7))
    assert repeated[:2] == originals  # the corpus itself comes first, as it is
    assert len({row["id"] for row in repeated}) == 7
    assert len({(row["title"], row["description"]) for row in repeated}) == 7
    assert [row["company"] for row in repeated[2:4]] == ["Acme ~1", "~1"]
    assert all(row["description"].startswith(original["description"])
               for row, original in zip(repeated, originals * 4, strict=False))
