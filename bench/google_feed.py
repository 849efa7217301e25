"""Google jobs feed: the adapter's streaming parse against a bare `xml.etree.ElementTree.iterparse` of the same bytes.

    .venv/bin/python -m bench.google_feed [--mb 20] [--repeats 3]

The feed is generated from the sample site's roles (distinct ids, Google / DeepMind / YouTube employers,
descriptions of a real feed's size) to about --mb megabytes. Both sides are timed in wall and CPU time,
alternately, best of --repeats; the adapter's side is everything a scrape does with the body (XML, employer
and lab filters, the kept roles' text), the bare side only iterates the elements.
"""

from __future__ import annotations

import argparse
import io
import json
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from typing import Any

from asr_jobs.samplesites import google as sample
from asr_jobs.scrapers.adapters import google
from asr_jobs.scrapers.registry import load_labs

FEED = "https://www.google.com/about/careers/applications/jobs/feed.xml"
EMPLOYERS = ("Google", "Google", "Google", "DeepMind", "YouTube")
FILLER = ("<p>Our teams work across products used by billions of people, and we are looking for people who "
          "bring new ideas from every area of computing.</p>")


TITLES = ("Software Engineer, Ads Infrastructure", "Account Manager, Google Cloud", "Product Manager, Maps",
          "Data Center Technician", "UX Designer, Workspace", "Financial Analyst")
SPEECH_EVERY = 100  # one role in a hundred is a speech research role (the real feed: a few dozen of thousands)


def generated_feed(megabytes: float) -> bytes:
    """A feed of about `megabytes` MB: roles with distinct ids and ~4.5 KB descriptions, a few about speech."""
    speech = [sample.JOBS["speech-scientist"], sample.JOBS["student-researcher"], *sample.OTHERS.values()]
    other = sample.JOBS["ads-swe"]
    jobs: list[list] = []
    size, index = 0, 0
    while size < megabytes * 1_000_000:
        job = list(speech[index // SPEECH_EVERY % len(speech)] if index % SPEECH_EVERY == 0 else other)
        if index % SPEECH_EVERY:
            job[1] = TITLES[index % len(TITLES)]
        job[0] = str(700_000_000_000_000_000 + index)
        job[7] = EMPLOYERS[index % len(EMPLOYERS)]
        job[10] = [None, (job[10][1] or "") + FILLER * 24]
        jobs.append(job)
        size += 5_000
        index += 1
    return sample.feed(jobs)


def timed(work: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(megabytes: float = 20.0, repeats: int = 3) -> dict[str, Any]:
    """Both sides timed alternately over the same bytes; the ratios of the best times."""
    body = generated_feed(megabytes)
    lab = load_labs()["google-research"]

    def bare() -> None:
        for _ in ElementTree.iterparse(io.BytesIO(body)):
            pass

    def adapter() -> None:
        google.parse_feed(body, lab, FEED)

    times: dict[str, list[tuple[float, float]]] = {"bare": [], "adapter": []}
    for _ in range(repeats):
        times["bare"].append(timed(bare))
        times["adapter"].append(timed(adapter))
    best = {name: (min(w for w, _ in runs), min(c for _, c in runs)) for name, runs in times.items()}
    reader = google.FeedReader(lab, FEED)
    for start in range(0, len(body), google.CHUNK):
        for _ in reader.feed(body[start:start + google.CHUNK]):
            pass
    for _ in reader.close():
        pass
    return {
        "feed_mb": round(len(body) / 1e6, 1), "jobs": reader.jobs, "kept": len(google.parse_feed(body, lab, FEED)),
        "bare_iterparse_s": round(best["bare"][0], 3), "bare_iterparse_cpu_s": round(best["bare"][1], 3),
        "adapter_s": round(best["adapter"][0], 3), "adapter_cpu_s": round(best["adapter"][1], 3),
        "ratio_wall": round(best["adapter"][0] / best["bare"][0], 2),
        "ratio_cpu": round(best["adapter"][1] / best["bare"][1], 2),
        "jobs_held_at_most": reader.held_most, "chunk_bytes": google.CHUNK, "repeats": repeats, "target_ratio": 1.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(args.mb, args.repeats), indent=1))


if __name__ == "__main__":
    main()
