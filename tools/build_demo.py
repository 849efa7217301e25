"""Write asr_jobs/demo/<lab>.har: the bundled SAMPLE recordings that `asr-jobs demo` replays.

The postings in them are sample data written for the demo and the tests, in the exact
response formats of each career site; they are not scraped. Run from the repository root: python -m tools.build_demo
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

from asr_jobs.scrapers.har import har_document

ROOT = Path(__file__).resolve().parent.parent

OUT = ROOT / "asr_jobs" / "demo"


def main() -> None:
    import tools.demo as pkg

    OUT.mkdir(exist_ok=True)
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name == "common":
            continue
        module = importlib.import_module(f"tools.demo.{info.name}")
        for lab, entries in module.recordings().items():
            path = OUT / f"{lab}.har"
            path.write_text(json.dumps(har_document(entries), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"{path.relative_to(ROOT)}: {len(entries)} entries")


if __name__ == "__main__":
    main()
