"""Sample Google Careers postings: the jobs feed (feed.xml) the adapter reads, and result pages with the ds:1 job
arrays (what a saved results page holds, for `import`)."""

from __future__ import annotations

import copy
import html
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from ..models import Lab
from ..scrapers.adapters import google as adapter
from .common import HTML, Answer, Routes, entry, host_of, key, page_starts, paragraphs

RESULTS = "https://www.google.com/about/careers/applications/jobs/results"
FEED = "https://www.google.com/about/careers/applications/jobs/feed.xml"
XML = "application/xml; charset=utf-8"
FEED_ETAG = '"feed-20261120"'
FEED_MODIFIED = "Fri, 20 Nov 2026 08:35:00 GMT"
TENANT = ("projects/gweb-careers-proto/tenants/60107626-8e00-0000-0000-0071646e0806/"
          "companies/ebbbf0d1-8121-483c-8f99-ee92597591fc")
PLACES: dict[str, Any] = {
    "MTV": ["Mountain View, CA, USA", ["1600 Amphitheatre Pkwy, Mountain View, CA 94043, USA"], "Mountain View", "94043",
            "CA", "US"],
    "NYC": ["New York, NY, USA", ["New York, NY, USA"], "New York", None, "NY", "US"],
    "ZRH": ["Zürich, Switzerland", ["Brandschenkestrasse 110, 8002 Zürich, Switzerland"], "Zürich", "8002", None, "CH"],
    "SBO": ["San Bruno, CA, USA", ["San Bruno, CA, USA"], "San Bruno", None, "CA", "US"],
}
MIN_PREF = "<h3>Minimum qualifications:</h3>{}<br><h3>Preferred qualifications:</h3>{}"


def ul(*items: str) -> str:
    return "<ul>\n" + "".join(f"<li>{item}</li>\n" for item in items) + "</ul>"


def job(job_id: str, title: str, places: list[str], about: str, responsibilities: list[str], minimum: list[str],
        preferred: list[str], created: int, updated: int, additional: str = "", level: int = 3,
        company: str = "Google") -> list:
    """A job tuple in the positional layout of the ds:1 data (21 fields)."""
    note = ("Note: By applying to this position you will have an opportunity to share your preferred working "
            "location from the following: <b>" + "; ".join(PLACES[p][0] for p in places) + "</b>.")
    return [job_id, title, f"https://www.google.com/about/careers/applications/signin?jobId=CiUAL2Fck{job_id[-9:]}",
            [None, ul(*responsibilities)], [None, MIN_PREF.format(ul(*minimum), ul(*preferred))], TENANT, None, company,
            "en-US", [PLACES[p] for p in places], [None, about], [2], [created, 317000000], [updated, 52000000],
            [updated, 389000000], [None, additional] if additional else "", None, None,
            [None, note] if len(places) > 1 else "", [None, ul(*minimum)], level]


JOBS = {
    "speech-scientist": job(
        "118230450296881862", "Research Scientist, Speech Recognition", ["MTV", "NYC"],
        paragraphs("Google Research's speech team builds the recognizers behind Gboard voice typing, YouTube captions and "
                   "Gemini Live. We work on universal speech models that cover more than 300 languages, on streaming "
                   "recognition and on speech understanding with large language models."),
        ["Research and develop end-to-end speech recognition models (RNN-T, CTC, attention encoder-decoders).",
         "Advance self-supervised and semi-supervised learning on millions of hours of untranscribed audio.",
         "Publish at Interspeech, ICASSP, ICLR and NeurIPS, and bring research into products."],
        ["PhD in Computer Science, Electrical Engineering, Linguistics, or a related field, or equivalent practical "
         "experience.", "Experience with machine learning for speech recognition or audio processing.",
         "One or more scientific publication submission(s) for conferences, journals, or public repositories."],
        ["Experience with multilingual and low-resource speech recognition.",
         "Experience with JAX or TensorFlow at scale on TPUs."],
        1793358000, 1794567600,
        paragraphs("The US base salary range for this full-time position is $166,000-$244,000 + bonus + equity + "
                   "benefits. Our salary ranges are determined by role, level, and location.")),
    "student-researcher": job(
        "76120391538114502", "Student Researcher, PhD, Speech and Audio, 2027", ["ZRH", "MTV"],
        paragraphs("Student Researchers work with Google Research scientists on a research project of 12 to 24 weeks, "
                   "often leading to a joint publication."),
        ["Conduct research on speech recognition, speech synthesis or audio understanding.",
         "Run experiments with large pretrained speech and audio models."],
        ["Currently enrolled in a PhD program in Computer Science, Electrical Engineering, or a related field.",
         "Experience with one or more machine learning frameworks (e.g., JAX, PyTorch, TensorFlow)."],
        ["Publications on speech or audio at venues such as Interspeech or ICASSP."],
        1794049200, 1794049200, level=5),
    "audio-research": job(
        "102754418369091270", "Audio Research Engineer, YouTube", ["SBO"],
        paragraphs("YouTube's audio research team improves loudness normalization, music and speech separation and "
                   "audio quality for billions of viewers."),
        ["Prototype audio machine learning models for source separation and enhancement.",
         "Measure audio quality at scale with perceptual metrics."],
        ["Bachelor's degree in Electrical Engineering, Computer Science, or equivalent practical experience.",
         "3 years of experience with audio signal processing."],
        ["Master's degree or PhD in a related field."],
        1792666800, 1793876400, company="YouTube"),
    "ads-swe": job(
        "98124017736510982", "Software Engineer, Speech Serving Infrastructure", ["NYC"],
        paragraphs("Build and operate the serving systems that answer billions of voice queries a day."),
        ["Design, develop, test and deploy distributed serving systems.",
         "Improve latency and reliability of speech serving across data centers."],
        ["Bachelor's degree or equivalent practical experience.",
         "2 years of experience with software development in C++ or Java."],
        ["Experience with large-scale distributed systems."],
        1791975600, 1793358000,
        paragraphs("The US base salary range for this full-time position is $141,000-$202,000 + bonus + equity + "
                   "benefits.")),
}
def results_page(jobs: list[list], total: int) -> str:
    """A results page as Google serves it: the jobs in the ds:1 AF_initDataCallback (ds:0 holds the companies)."""
    companies = [["companies/ebbbf0d1-8121-483c-8f99-ee92597591fc", "Google"],
                 ["companies/9d3b7c72-5c4f-4d6a-9a51-3b1f6c0e2d11", "YouTube"]]
    ds0 = json.dumps([companies], ensure_ascii=False)
    ds1 = json.dumps([jobs, None, total, 20], ensure_ascii=False)
    return ("<!doctype html><html lang=\"en-US\" dir=\"ltr\"><head><meta charset=\"utf-8\">"
            "<title>Search Jobs - Google Careers</title></head><body><c-wiz jsrenderer=\"hbOgHf\"></c-wiz>"
            f"<script nonce=\"q2VbV7kq\">AF_initDataCallback({{key: 'ds:0', hash: '1', data:{ds0}, sideChannel: {{}}}});"
            "</script>"
            f"<script nonce=\"q2VbV7kq\">AF_initDataCallback({{key: 'ds:1', hash: '2', data:{ds1}, sideChannel: {{}}}});"
            "</script></body></html>")


# Roles of other employers, in the feed beside Google's: DeepMind's belong to the google-deepmind lab.
OTHERS = {
    "deepmind-speech": job(
        "129991043817655238", "Research Scientist, Speech and Audio Generation", ["ZRH"],
        paragraphs("Google DeepMind's audio team builds the speech and music generation models behind Gemini."),
        ["Research speech synthesis and audio generation with large generative models."],
        ["PhD in machine learning or a related field."], ["Publications at ICML, NeurIPS or Interspeech."],
        1793444400, 1794567600, company="DeepMind"),
}


def feed_job(job: list) -> str:
    """One `<job>` of the feed, from a sample job tuple: the elements public feed readers read."""
    places = list(job[LOCATIONS_AT] or [])
    locations = "".join(f"<location><city>{html.escape(p[2] or '')}</city>"
                        + (f"<state>{html.escape(p[4])}</state>" if p[4] else "")
                        + f"<country>{html.escape(p[5])}</country></location>" for p in places)
    description = "".join(part[1] for part in (job[10], job[3], job[4], job[15]) if isinstance(part, list) and part[1])
    published = datetime.fromtimestamp(job[14][0], UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return (f"<job><jobid>{job[0]}</jobid><title>{html.escape(job[1])}</title><published>{published}</published>"
            f"<url>{adapter.public_url(job[0], job[1])}</url><description>{html.escape(description)}</description>"
            f"<locations>{locations}</locations><categories><category>RESEARCH_SCIENCE</category></categories>"
            f"<employer>{html.escape(job[7])}</employer><jobtype>{'INTERN' if 'Student' in job[1] else 'FULL_TIME'}"
            "</jobtype><isRemote>no</isRemote></job>\n")


LOCATIONS_AT = 9


def feed(jobs: list[list]) -> bytes:
    """The jobs feed as Google serves it: one XML document, a `<job>` per open role."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<jobs>\n' + "".join(feed_job(j) for j in jobs)
            + "</jobs>\n").encode("utf-8")


def demo_feed() -> bytes:
    """The demo's feed: every sample role, Google's and other employers'."""
    return feed([*JOBS.values(), *OTHERS.values()])


# A sample robots.txt in the shape of a big site's: the results pages disallowed, the feed not.
ROBOTS = ("User-agent: *\nDisallow: /search\nDisallow: /about/careers/applications/jobs/results\n"
          "Allow: /about/careers/applications/jobs/feed.xml\n")


def recordings() -> dict[str, list[dict]]:
    """robots.txt, then one conditional-ready answer: the feed with its validators."""
    headers = {"etag": FEED_ETAG, "last-modified": FEED_MODIFIED}
    return {"google-research": [
        entry("GET", "https://www.google.com/robots.txt", ROBOTS, content_type="text/plain; charset=utf-8"),
        entry("GET", FEED, demo_feed(), content_type=XML, headers=headers)]}


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(adapter.BASE_URL)


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample google site scaled to n of the lab's roles on the virtual `host`: the feed, with a DeepMind role
    and a YouTube role beside them (which the lab leaves out)."""
    samples = [JOBS["speech-scientist"], JOBS["student-researcher"]]
    jobs = []
    for i in range(n):
        item = copy.deepcopy(samples[i % len(samples)])
        item[0] = str(800_000_000_000_000_000 + i)
        jobs.append(item)
    body = feed([*jobs, JOBS["audio-research"], *OTHERS.values()])
    return {key(host, "GET", adapter.feed_url(lab)): Answer(body, XML),
            key(host, "GET", "/robots.txt"): Answer(ROBOTS.encode("utf-8"), "text/plain; charset=utf-8")}


def results_url(lab: Lab, query: str, page: int) -> str:
    """A results page's URL (what a user saves from a browser; the adapter itself reads the feed)."""
    base = str(lab.params.get("base_url", adapter.BASE_URL)).rstrip("/")
    params = [("q", query), ("sort_by", "date"), ("page", str(page))]
    params += [("location", str(loc)) for loc in lab.params.get("locations") or []]
    return f"{base}{adapter.RESULTS_PATH}?{urlencode(params)}"


def search_routes(lab: Lab, host: str, searches: dict[str, list[list]], totals: dict[str, int] | None = None) -> Routes:
    """Each query's result pages, 20 jobs a page, with the query's total (`totals` may claim more, as Google does)."""
    routes: Routes = {}
    for query, hits in searches.items():
        total = (totals or {}).get(query, len(hits))
        for page in (start // adapter.PAGE_SIZE + 1 for start in page_starts(len(hits), adapter.PAGE_SIZE)):
            chunk = hits[(page - 1) * adapter.PAGE_SIZE:page * adapter.PAGE_SIZE]
            routes[key(host, "GET", results_url(lab, query, page))] = Answer(
                results_page(chunk, total).encode("utf-8"), HTML)
    return routes
