"""Sample Meta FAIR postings (metacareers.com search page, JS bundles holding the doc_id, GraphQL search, JSON-LD
job pages on the newer path or the older permalink) for the demo recording."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from ..models import Lab
from ..scrapers.adapters import meta as adapter
from .common import Answer, Routes, entry, host_of, in_queries, json_bytes, key
from .sites import virtual

BASE = "https://www.metacareers.com"
LSD = "AVpT8qZr1Xw"
DOC_ID = "27129360303422352"
COMMON_BUNDLE = "https://static.xx.fbcdn.net/rsrc.php/v4/yM/r/CareersCommon-sample.js"
CAREERS_BUNDLE = "https://static.xx.fbcdn.net/rsrc.php/v4iQ3/yQ/l/en_US/CareersJobSearch-sample.js"
NOT_FOUND = "<!DOCTYPE html><html><head><title>Page not found</title></head><body>This page isn't available</body></html>"
HTML = "text/html; charset=utf-8"
JS = "application/x-javascript; charset=utf-8"
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


def search_page() -> str:
    """The start of the search page: the LSD token in the server's haste data and the JS bundles (one in a
    script tag, one JSON-escaped in the bootloader's data), as on metacareers.com."""
    escaped = CAREERS_BUNDLE.replace("/", "\\/")
    return ("<!DOCTYPE html><html lang=\"en\" id=\"facebook\"><head><meta charset=\"utf-8\"><title>Jobs at Meta</title>"
            f"<script src=\"{COMMON_BUNDLE}\" nonce=\"7rX2b9Qa\" async></script>"
            "<script nonce=\"7rX2b9Qa\">requireLazy([\"HasteSupportData\"],function(m){m.handle({\"define\":["
            f"[\"LSD\",[],{{\"token\":\"{LSD}\"}},323],[\"SiteData\",[],{{\"server_revision\":1029384756}},317]]}})}});"
            f"requireLazy([\"Bootloader\"],function(b){{b.handlePayload({{\"rsrcMap\":{{\"qT4sX\":{{\"type\":\"js\","
            f"\"src\":\"{escaped}\"}}}}}})}});</script></head><body><div id=\"careers-root\"></div></body></html>")


def common_bundle() -> str:
    """A bundle without the search's module (Meta's pages load many)."""
    return ('__d("CometRelayEnvironment",["RelayModern"],(function(t,n,r,o,a,i){a.exports={}}),null);\n'
            '__d("CareersSavedJobsQuery_candidate_portalRelayOperation",[],(function(t,n,r,o,a,i){'
            'a.exports="8812334455667788"}),null);\n')


def careers_bundle() -> str:
    """The bundle holding the search's RelayOperation module, whose exports is the current doc_id."""
    return ('__d("CareersJobSearchResultsV2DataQuery_candidate_portalRelayOperation",[],(function(t,n,r,o,a,i){'
            f'a.exports="{DOC_ID}"}}),null);\n'
            '__d("CareersJobSearchResultsV2DataQuery.graphql",["CareersJobSearchResultsV2DataQuery_candidate_portal'
            'RelayOperation"],(function(t,n,r,o,a,i){a.exports={kind:"Request"}}),null);\n')


def search_form(lab: Lab | None, query: str) -> str:
    """The search's form, as the adapter sends it for the sample's lsd token and doc_id."""
    name = adapter.operation(lab) if lab is not None else adapter.OPERATION
    return urlencode(adapter.search_form(LSD, DOC_ID, name, query))


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


def older_only(job_id: str) -> bool:
    """Whether a sample job page answers on the older permalink only (the newer path answers 404)."""
    return job_id == "1047733925510288"


def recordings() -> dict[str, list[dict]]:
    entries = [entry("GET", f"{BASE}{adapter.PAGE_PATH}", search_page(), content_type=HTML),
               entry("GET", COMMON_BUNDLE, common_bundle(), content_type=JS),
               entry("GET", CAREERS_BUNDLE, careers_bundle(), content_type=JS)]
    for query, ids in QUERIES.items():
        # The GraphQL answer is JSON sent as text/html.
        entries.append(entry("POST", f"{BASE}{adapter.GRAPHQL_PATH}", search_answer(ids), content_type=HTML,
                             request_data=search_form(None, query)))
    for job_id in PAGES:
        newer = f"{BASE}/profile/job_details/{job_id}/"
        if older_only(job_id):
            entries.append(entry("GET", newer, NOT_FOUND, status=404, content_type=HTML))
            entries.append(entry("GET", f"{BASE}/jobs/{job_id}/", job_page(job_id), content_type=HTML))
        else:
            entries.append(entry("GET", newer, job_page(job_id), content_type=HTML))
    return {"meta-fair": entries}


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(adapter.BASE_URL)


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample meta site scaled to n postings on the virtual `host`: every request the adapter makes, answered.

    The JS bundles are served on the virtual host of Meta's static host (for the real URLs) and on `host` (for a
    lab pointed at a server with base_url, whose bundle requests go there).
    """
    base = adapter.base_url(lab)
    samples = list(JOBS)
    jobs, queries = [], []
    routes: Routes = {key(host, "GET", f"{base}{adapter.PAGE_PATH}"): Answer(search_page().encode("utf-8"), HTML)}
    for bundle, body in ((COMMON_BUNDLE, common_bundle()), (CAREERS_BUNDLE, careers_bundle())):
        for bundle_host in (host, virtual(host_of(bundle))):
            routes[key(bundle_host, "GET", bundle)] = Answer(body.encode("utf-8"), JS)
    for i in range(n):
        sample = samples[i % len(samples)]
        job_id = str(2_000_000_000_000_000 + i)
        jobs.append({"id": job_id, **JOBS[sample]})
        queries.append(in_queries(i, lab.queries))
        if sample in PAGES:
            page = Answer(job_page(sample).encode("utf-8"), HTML)
            if older_only(sample):
                routes[key(host, "GET", f"{base}/profile/job_details/{job_id}/")] = Answer(NOT_FOUND.encode(), HTML, 404)
                routes[key(host, "GET", f"{base}/jobs/{job_id}/")] = page
            else:
                routes[key(host, "GET", f"{base}/profile/job_details/{job_id}/")] = page
    path = str(lab.params.get("graphql_path", adapter.GRAPHQL_PATH))
    for query in lab.queries or [""]:
        found = [job for job, qs in zip(jobs, queries, strict=True) if query in qs]
        answer = {"data": {"job_search_with_featured_jobs_v2": {"all_jobs": found, "featured_jobs": []}},
                  "extensions": {"is_final": True}}
        # The GraphQL answer is JSON sent as text/html, as Meta sends it.
        routes[key(host, "POST", base + path, search_form(lab, query))] = Answer(json_bytes(answer), HTML)
    return routes
