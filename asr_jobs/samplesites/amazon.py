"""Sample amazon.jobs search results (Amazon Science) for the demo recording: one page per lab query."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any
from urllib.parse import urlencode

from ..models import Lab
from ..scrapers.adapters import amazon as adapter
from .common import Answer, Routes, entry, host_of, in_queries, json_bytes, key, page_starts

QUERIES = ["speech recognition", "ASR scientist", "applied scientist speech", "research scientist speech",
           "audio scientist"]
EEO = ("Amazon is an equal opportunity employer and does not discriminate on the basis of protected veteran status, "
       "disability, or other legally protected status.<br/><br/>Our inclusive culture empowers Amazonians to deliver "
       "the best results for our customers.")
TEAM_KEYS = ("id", "business_category_id", "identifier", "label", "created_at", "updated_at", "image_file_name",
             "image_content_type", "image_file_size", "image_updated_at", "thumbnail_file_name",
             "thumbnail_content_type", "thumbnail_file_size", "thumbnail_updated_at", "hide_jobs", "title", "headline",
             "description")
PLACES = {
    "Seattle": ("WA", "Washington", "47.61512,-122.33789", "SEA40"),
    "Cambridge": ("MA", "Massachusetts", "42.36285,-71.08364", "BOS27"),
    "Sunnyvale": ("CA", "California", "37.40421,-122.03021", "SVL12"),
    "Pittsburgh": ("PA", "Pennsylvania", "40.44062,-79.99589", "PIT11"),
}


def place(city: str) -> str:
    """One `locations` entry: a JSON-encoded string, as the site sends it."""
    code, state, coordinates, building = PLACES[city]
    return json.dumps({
        "normalizedStateName": state, "normalizedCountryCode": "USA", "city": city, "countryIso3a": "USA",
        "countryIso2a": "US", "locationNonStemming": f"United States, {code}, {city}", "coordinates": coordinates,
        "type": "ONSITE", "normalizedCountryName": "United States",
        "normalizedLocation": f"{city}, {state}, USA", "location": f"US, {code}, {city}", "region": code,
        "buildingCodeList": [building], "normalizedCityName": city,
    }, separators=(",", ":"))


def job(icims: str, title: str, slug: str, cities: list[str], posted: str, category: str, family: str,
        business: str, label: str, description: str, basic: list[str], preferred: list[str]) -> dict:
    """A job object with every key amazon.jobs search.json returns."""
    first = cities[0]
    code, state, _, _ = PLACES[first]
    short = description.split("<br/>")[0][:200]
    return {
        "basic_qualifications": "<br/>".join(f"- {line}" for line in basic),
        "business_category": business,
        "city": first,
        "company_name": "Amazon.com Services LLC",
        "country_code": "USA",
        "description": description,
        "department_cost_center": None,
        "description_short": short,
        "display_distance": None,
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, icims)),
        "id_icims": icims,
        "is_intern": None,
        "is_manager": None,
        "job_category": category,
        "job_family": family,
        "job_function_id": None,
        "job_path": f"/en/jobs/{icims}/{slug}",
        "job_schedule_type": "full-time",
        "location": f"US, {code}, {first}",
        "locations": [place(city) for city in cities],
        "normalized_location": f"{first}, {state}, USA",
        "optional_search_labels": [f"{business}.{label}"],
        "posted_date": posted,
        "preferred_qualifications": "<br/>".join(f"- {line}" for line in preferred) + "<br/><br/>" + EEO,
        "primary_search_label": f"{business}.{label}",
        "source_system": "JobCreator",
        "state": code,
        "title": title,
        "university_job": None,
        "updated_time": "4 days",
        "url_next_step": f"https://account.amazon.jobs/jobs/{icims}/apply",
        "team": {key: label if key == "label" else None for key in TEAM_KEYS},
    }


def search_request(query: str) -> str:
    """The `job_posting_search_request` echo: a JSON document encoded as a string."""
    return json.dumps({"jobPostingSearchRequest": {
        "query": query,
        "excludeFacets": [{"name": "businessCategory", "values": [{"name": "a-confidential-job"}]},
                          {"name": "isPostedExternally", "values": [{"name": "0"}]},
                          {"name": "isUnsearchable", "values": [{"name": "1"}]}],
        "filterFacets": [], "start": "0", "size": "100", "sort": {"sortOrder": "DESCENDING", "sortType": "CREATED_DATE"},
        "location": None, "accessLevel": "EXTERNAL", "includeFacets": [], "locationFacets": [],
        "jobTypeFacets": [], "contentFilterFacets": [], "treatment": "OM"}}, separators=(",", ":"))


def page(query: str, jobs: list[dict]) -> dict:
    params = urlencode([("base_query", query), ("result_limit", "100"), ("offset", "0"),
                        ("sort", "recent")])
    body: dict[str, Any] = {"error": None, "hits": len(jobs), "facets": {}, "content": {"sidebar": {}, "search_results": {}},
            "jobs": jobs, "job_posting_search_request": search_request(query)}
    return entry("GET", f"https://www.amazon.jobs/en/search.json?{params}", body)


def jobs() -> dict[str, dict]:
    return {
        "alexa-asr": job(
            "3120451", "Applied Scientist, Alexa Speech Recognition", "applied-scientist-alexa-speech-recognition",
            ["Seattle", "Cambridge"], "November 12, 2026", "Research Science", "Applied Science", "amazon-science",
            "team-alexa", "Alexa AI's Speech Recognition team builds the automatic speech recognition (ASR) models "
            "that understand hundreds of millions of customers across Alexa devices.<br/><br/>Key job "
            "responsibilities<br/>- Train large-scale end-to-end ASR models (Conformer transducers, CTC) on "
            "millions of hours of speech<br/>- Improve recognition of accented, far-field and noisy speech<br/>- "
            "Ship models to production and publish at Interspeech and ICASSP",
            ["PhD, or Master's degree and 4+ years of CS, CE, ML or related field experience",
             "Experience programming in Java, C++, Python or related language",
             "Experience building speech recognition or spoken language understanding models"],
            ["Experience with self-supervised pretraining for speech (wav2vec 2.0, HuBERT)",
             "Publications at Interspeech, ICASSP, ACL or NeurIPS"]),
        "foundation": job(
            "3118762", "Senior Research Scientist, Speech and Audio Foundation Models",
            "senior-research-scientist-speech-and-audio-foundation-models", ["Cambridge", "Sunnyvale"],
            "November 5, 2026", "Research Science", "Research Science", "amazon-science", "team-agi",
            "The AGI Speech team builds the speech and audio foundation models behind Alexa+ and Amazon Nova: "
            "speech-to-speech generation, audio understanding and multilingual recognition.<br/><br/>Key job "
            "responsibilities<br/>- Lead research on audio tokenizers and speech language models<br/>- Mentor "
            "applied scientists and set the team's research agenda",
            ["PhD in machine learning, speech processing or a related field",
             "5+ years of research experience in speech or audio"],
            ["First-author publications on speech recognition or speech generation"]),
        "intern": job(
            "3125907", "Applied Scientist Intern - Speech Recognition (2027)",
            "applied-scientist-intern-speech-recognition-2027", ["Pittsburgh"], "November 18, 2026",
            "Research Science", "Applied Science", "studentprograms", "team-internships-for-students",
            "Join an Amazon science team for a 12-26 week internship on multilingual speech recognition and "
            "speech translation.<br/><br/>Key job responsibilities<br/>- Design and run experiments on "
            "low-resource ASR<br/>- Write up results for a conference submission",
            ["Currently enrolled in a PhD program in CS, EE, linguistics or a related field",
             "Experience with PyTorch or JAX"],
            ["Publications in speech recognition or spoken language processing"]),
        "sde": job(
            "3119934", "Software Development Engineer, Speech Platform", "software-development-engineer-speech-platform",
            ["Seattle"], "October 30, 2026", "Software Development", "Software Development", "alexa",
            "team-alexa-devices", "Build the low-latency services that stream audio from Echo devices to our "
            "recognition fleet.<br/><br/>Key job responsibilities<br/>- Design distributed systems in Java and Rust"
            "<br/>- Operate services with 99.99% availability",
            ["3+ years of non-internship professional software development experience"],
            ["Experience with real-time streaming systems"]),
    }


def recordings() -> dict[str, list[dict]]:
    j = jobs()
    results = {
        "speech recognition": [j["intern"], j["alexa-asr"], j["foundation"], j["sde"]],
        "ASR scientist": [j["alexa-asr"]],
        "applied scientist speech": [j["intern"], j["alexa-asr"]],
        "research scientist speech": [j["foundation"]],
        "audio scientist": [],
    }
    return {"amazon-science": [page(query, results[query]) for query in QUERIES]}


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(adapter.BASE_URL)


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample amazon site scaled to n postings on the virtual `host`: every request the adapter makes, answered."""
    samples = list(jobs().values())
    served, queries = [], []
    for i in range(n):
        job = copy.deepcopy(samples[i % len(samples)])
        icims = str(4_000_000 + i)
        slug = job["job_path"].rsplit("/", 1)[-1]
        job.update(id_icims=icims, id=str(uuid.uuid5(uuid.NAMESPACE_URL, icims)), job_path=f"/en/jobs/{icims}/{slug}",
                   url_next_step=f"https://account.amazon.jobs/jobs/{icims}/apply")
        served.append(job)
        queries.append(in_queries(i, lab.queries))
    searches = {query: [job for job, qs in zip(served, queries, strict=True) if query in qs]
                for query in lab.queries or [""]}
    return search_routes(lab, host, searches)


def search_routes(lab: Lab, host: str, searches: dict[str, list[dict]], hits: dict[str, int] | None = None) -> Routes:
    """Each query's result pages by offset (params.page_size per page), `hits` the whole count on every page.

    `hits` may claim more than a query has, as the site sometimes does: the page after its last one then
    answers no jobs.
    """
    limit = int(lab.params.get("page_size", adapter.PAGE_SIZE))
    routes: Routes = {}
    for query, found in searches.items():
        total = (hits or {}).get(query, len(found))
        pages = page_starts(len(found), limit)
        offsets = pages + [pages[-1] + limit] if total > len(found) and len(found) % limit else pages
        for offset in offsets:
            body: dict[str, Any] = {"error": None, "hits": total, "facets": {},
                                    "content": {"sidebar": {}, "search_results": {}},
                                    "jobs": found[offset:offset + limit], "job_posting_search_request": search_request(query)}
            routes[key(host, "GET", adapter.search_url(lab, query, offset, limit))] = Answer(json_bytes(body))
    return routes
