"""Sample Meta FAIR postings (metacareers.com jobs page, GraphQL search, JSON-LD job pages) for the demo recording."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from ..models import Lab
from ..scrapers.adapters import meta as adapter
from .common import Answer, Routes, entry, host_of, in_queries, json_bytes, key

BASE = "https://www.metacareers.com"
LSD = "AVpT8qZr1Xw"
DOC_ID = "9114524511922157"
HTML = "text/html; charset=utf-8"
FAIR_TEAMS = {"teams": ["AI Research", "Artificial Intelligence", "Research"],
              "sub_teams": ["Research", "Artificial Intelligence"]}

# id -> search result fields; the first three are research roles (kept by the team filter, detail pages recorded).
JOBS: dict[str, Any] = {
    "1261940728447315": {"title": "Research Scientist, Speech and Audio (FAIR)",
                         "locations": ["Menlo Park, CA", "New York, NY", "Paris, France"], **FAIR_TEAMS},
    "1047733925510288": {"title": "Research Scientist Intern, Speech Recognition (PhD)",
                         "locations": ["Seattle, WA", "Menlo Park, CA"],
                         "teams": ["Internship - PhD", "AI Research", "Research"], "sub_teams": ["Research"]},
    "3318260455019734": {"title": "Research Scientist, Audio Perception (Reality Labs Research)",
                         "locations": ["Redmond, WA"], "teams": ["AR/VR", "Reality Labs Research"],
                         "sub_teams": ["Research"]},
    "2240198756631077": {"title": "Software Engineer, Audio Infrastructure", "locations": ["Menlo Park, CA"],
                         "teams": ["Software Engineering", "Infrastructure"], "sub_teams": ["Infrastructure"]},
    "1498822077615290": {"title": "Product Designer, Voice Experiences", "locations": ["London, UK"],
                         "teams": ["Design & User Experience"], "sub_teams": ["Product Design"]},
}
QUERIES = {
    "speech": ["1261940728447315", "1047733925510288", "2240198756631077"],
    "audio": ["3318260455019734", "1261940728447315", "2240198756631077", "1498822077615290"],
    "research scientist": ["3318260455019734", "1261940728447315", "1047733925510288"],
}
PAGES: dict[str, Any] = {
    "1261940728447315": {
        "description": "<p>Meta's Fundamental AI Research (FAIR) team advances AI through open research. We are looking "
                       "for research scientists to push the state of the art in speech and audio: self-supervised "
                       "speech representations, massively multilingual speech recognition and translation, and "
                       "spoken language models.</p>",
        "responsibilities": ["Lead research on self-supervised and multilingual speech recognition (wav2vec 2.0, "
                             "MMS-style models) and speech-text foundation models.",
                             "Publish at Interspeech, ICASSP, ACL and NeurIPS, and release open models and datasets.",
                             "Collaborate with product teams to bring research to billions of people."],
        "qualifications": ["PhD in computer science, electrical engineering, linguistics or a related field.",
                           "First-author publications in speech recognition, speech synthesis or audio ML.",
                           "Experience training large models with PyTorch."],
        "employmentType": "FULL_TIME", "datePosted": "2026-11-12T10:04:51-08:00",
        "baseSalary": (173000, 242000),
    },
    "1047733925510288": {
        "description": "<p>Meta is seeking PhD research interns to work on speech recognition for Meta AI and our "
                       "wearables. Internships are 12 to 24 weeks.</p>",
        "responsibilities": ["Develop end-to-end ASR models for streaming and on-device use.",
                             "Run experiments on large-scale conversational speech data."],
        "qualifications": ["Currently enrolled in a PhD program in speech processing, machine learning or a related "
                           "field.", "Publications at Interspeech, ICASSP or similar venues."],
        "employmentType": "INTERN", "datePosted": "2026-11-06T15:30:00-08:00", "baseSalary": None,
    },
    "3318260455019734": {
        "description": "<p>Reality Labs Research explores audio perception for AR glasses: spatial hearing, speech "
                       "enhancement in noisy environments and hearing-related research.</p>",
        "responsibilities": ["Design perceptual experiments and machine-learning models for auditory scene "
                             "analysis."],
        "qualifications": ["PhD in audio signal processing, psychoacoustics, hearing science or a related field."],
        "employmentType": "FULL_TIME", "datePosted": "2026-10-29T09:00:00-07:00",
        "baseSalary": (147000, 208000),
    },
}


def jobs_page() -> str:
    """The start of the jobs page: the LSD token sits in the server's haste data, as on metacareers.com."""
    return ("<!DOCTYPE html><html lang=\"en\" id=\"facebook\"><head><meta charset=\"utf-8\"><title>Jobs at Meta</title>"
            "<script nonce=\"7rX2b9Qa\">requireLazy([\"HasteSupportData\"],function(m){m.handle({\"define\":["
            f"[\"LSD\",[],{{\"token\":\"{LSD}\"}},323],[\"SiteData\",[],{{\"server_revision\":1029384756}},317]]}})}});"
            "</script></head><body><div id=\"careers-root\"></div></body></html>")


def search_form(query: str) -> str:
    variables = {"search_input": {
        "q": query, "divisions": [], "offices": [], "roles": [], "leadership_levels": [], "saved_jobs": [],
        "saved_searches": [], "sub_teams": [], "teams": [], "is_leadership": False, "is_remote_only": False,
        "sort_by_new": True, "results_per_page": None}}
    return urlencode({"lsd": LSD, "doc_id": DOC_ID, "fb_api_caller_class": "RelayModern",
                      "fb_api_req_friendly_name": "CareersJobSearchResultsV2DataQuery",
                      "variables": json.dumps(variables, separators=(",", ":"))})


def search_answer(ids: list[str]) -> str:
    jobs = [{"id": job_id, **JOBS[job_id]} for job_id in ids]
    answer = {"data": {"job_search_with_featured_jobs_v2": {
        "all_jobs": jobs, "featured_jobs": [], "featured_jobs_title": "Featured Jobs", "all_jobs_title": "All Jobs"}},
        "extensions": {"server_metadata": {"request_start_time_ms": 1795165200123, "time_at_flush_ms": 1795165200467},
                       "is_final": True}}
    return json.dumps(answer, separators=(",", ":"))


def job_page(job_id: str) -> str:
    page = PAGES[job_id]
    node = {
        "@context": "http://schema.org/", "@type": "JobPosting", "title": JOBS[job_id]["title"],
        "description": page["description"], "datePosted": page["datePosted"], "employmentType": page["employmentType"],
        "hiringOrganization": {"@type": "Organization", "name": "Meta", "sameAs": "https://www.metacareers.com/"},
        "jobLocation": [{"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": city}}
                        for city in JOBS[job_id]["locations"]],
        "responsibilities": page["responsibilities"], "qualifications": page["qualifications"],
    }
    if page["baseSalary"]:
        low, high = page["baseSalary"]
        node["baseSalary"] = {"@type": "MonetaryAmount", "currency": "USD", "value": {
            "@type": "QuantitativeValue", "minValue": low, "maxValue": high, "unitText": "YEAR"}}
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{JOBS[job_id]['title']} | Meta "
            f"Careers</title><script type=\"application/ld+json\" nonce=\"7rX2b9Qa\">{json.dumps(node)}</script>"
            "</head><body><div id=\"careers-root\"></div></body></html>")


def recordings() -> dict[str, list[dict]]:
    entries = [entry("GET", f"{BASE}/jobs", jobs_page(), content_type=HTML)]
    for query, ids in QUERIES.items():
        # The GraphQL answer is JSON sent as text/html.
        entries.append(entry("POST", f"{BASE}/api/graphql/", search_answer(ids), content_type=HTML,
                             request_data=search_form(query)))
    for job_id in PAGES:
        entries.append(entry("GET", f"{BASE}/jobs/{job_id}/", job_page(job_id), content_type=HTML))
    return {"meta-fair": entries}


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(adapter.BASE_URL)


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample meta site scaled to n postings on the virtual `host`: every request the adapter makes, answered."""
    base = adapter.base_url(lab)
    if str(lab.params.get("doc_id")) != DOC_ID:
        raise ValueError(f"{lab.name}: the bench serves doc_id {DOC_ID} only")
    samples = list(JOBS)
    jobs, queries = [], []
    routes: Routes = {key(host, "GET", f"{base}/jobs"): Answer(jobs_page().encode("utf-8"), HTML)}
    for i in range(n):
        sample = samples[i % len(samples)]
        job_id = str(2_000_000_000_000_000 + i)
        jobs.append({"id": job_id, **JOBS[sample]})
        queries.append(in_queries(i, lab.queries))
        if sample in PAGES:
            routes[key(host, "GET", f"{base}/jobs/{job_id}/")] = Answer(job_page(sample).encode("utf-8"), HTML)
    path = str(lab.params.get("graphql_path", adapter.GRAPHQL_PATH))
    for query in lab.queries or [""]:
        found = [job for job, qs in zip(jobs, queries, strict=True) if query in qs]
        answer = {"data": {"job_search_with_featured_jobs_v2": {"all_jobs": found, "featured_jobs": []}},
                  "extensions": {"is_final": True}}
        # The GraphQL answer is JSON sent as text/html, as Meta sends it.
        routes[key(host, "POST", base + path, search_form(query))] = Answer(json_bytes(answer), HTML)
    return routes
