"""Write asr_jobs/demo/<lab>.har, the bundled SAMPLE recordings `asr-jobs demo` replays: python -m asr_jobs.samplesites"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..scrapers.har import har_document
from .sites import demo_recordings

DEMO = Path(__file__).resolve().parent.parent / "demo"
# HAR 1.2 allows a comment on the log: every bundled recording says what it is.
SAMPLE_NOTE = ("SAMPLE data: postings written for the asr-jobs demo and tests in the site's response format, "
               "not scraped. Regenerate with: python -m asr_jobs.samplesites")


def write_demo(directory: Path = DEMO) -> list[str]:
    """Write every demo recording into `directory`; one line per file written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for lab, entries in sorted(demo_recordings().items()):
        path = directory / f"{lab}.har"
        document = har_document(entries)
        document["log"]["comment"] = SAMPLE_NOTE
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(f"{path}: {len(entries)} entries")
    return written


if __name__ == "__main__":
    print("\n".join(write_demo(Path(sys.argv[1]) if len(sys.argv) > 1 else DEMO)))
