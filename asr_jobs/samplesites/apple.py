"""Sample Apple ML Research postings (jobs.apple.com search + jobDetails API) for the demo recording."""

from __future__ import annotations

import copy
import json

from ..models import Lab
from ..scrapers.adapters import apple as adapter
from .common import Answer, Routes, entry, host_of, in_queries, json_bytes, key, page_starts

BASE = "https://jobs.apple.com"
TOKEN = "demo-csrf-5d2c1b7e"
GONE = Answer(json_bytes({"error": "jobsite.general.serviceError"}), status=404)
FORMAT = {"longDate": "MMMM D, YYYY", "mediumDate": "MMM D, YYYY"}
TEAMS = {
    "MLAI": {"teamName": "Machine Learning and AI", "teamID": "teamsAndSubTeams-MLAI", "teamCode": "MLAI"},
    "HRDWR": {"teamName": "Hardware", "teamID": "teamsAndSubTeams-HRDWR", "teamCode": "HRDWR"},
    "SFTWR": {"teamName": "Software and Services", "teamID": "teamsAndSubTeams-SFTWR", "teamCode": "SFTWR"},
}
CITIES = {
    "0836": ("Cupertino", "United States of America", "iso-country-USA"),
    "3760": ("Seattle", "United States of America", "iso-country-USA"),
    "4245": ("Cambridge", "United Kingdom", "iso-country-GBR"),
}

# positionId -> (title, slug, posted, team, location codes, summary, detail sections, pay footer)
JOBS = {
    "200714001": (
        "Machine Learning Research Scientist, Speech Recognition",
        "machine-learning-research-scientist-speech-recognition", "2026-11-17T16:02:11.410Z", "MLAI", ["0836", "3760"],
        "Join the Siri Speech team and invent the on-device speech recognition used by more than a billion people.",
        {
            "description": "You will do research on end-to-end automatic speech recognition: streaming neural "
                           "transducers, self-supervised pretraining on large untranscribed audio collections, "
                           "contextual biasing and personalization that runs privately on device. You will take "
                           "ideas from paper to shipping models and publish your results.",
            "responsibilities": "Design and train conformer and transformer ASR models for dozens of languages.\n"
                                "Improve robustness to noise, far-field audio and accented speech.\n"
                                "Reduce latency and memory with quantization and distillation.\n"
                                "Publish at Interspeech, ICASSP and NeurIPS.",
            "minimumQualifications": "PhD in speech processing, machine learning or a related field, or equivalent "
                                     "research experience.\nHands-on experience training large neural networks in "
                                     "PyTorch or JAX.",
            "preferredQualifications": "First-author publications on RNN-T, CTC or attention-based speech recognition.\n"
                                       "Experience with self-supervised speech models such as wav2vec 2.0 or HuBERT.\n"
                                       "Experience with multilingual or low-resource ASR.",
        },
        "The base pay range for this role is between $181,100 and $318,400, and your base pay will depend on your "
        "skills, qualifications, experience, and location.",
    ),
    "200714077": (
        "Speech Research Engineer, Siri Multilingual ASR", "speech-research-engineer-siri-multilingual-asr",
        "2026-11-12T09:45:03.002Z", "MLAI", ["4245"],
        "Build the speech recognition models that let Siri understand people in their own language.",
        {
            "description": "The Siri Speech team in Cambridge works on acoustic and language modelling for "
                           "multilingual speech recognition. You will prototype new modelling ideas, run "
                           "large-scale experiments and bring improvements in word error rate to customers.",
            "responsibilities": "Train and evaluate multilingual end-to-end ASR models.\n"
                                "Build data pipelines for speech data selection and semi-supervised training.\n"
                                "Collaborate with research scientists on language model fusion.",
            "minimumQualifications": "MSc or PhD in computer science, electrical engineering or linguistics with a "
                                     "focus on speech.\nStrong Python and C++ skills.",
            "preferredQualifications": "Experience with Kaldi, ESPnet, k2 or NeMo.\n"
                                       "Knowledge of weighted finite-state transducers.",
        },
        "",
    ),
    "200713550": (
        "Audio Machine Learning Engineer, Spatial Audio", "audio-machine-learning-engineer-spatial-audio",
        "2026-11-05T18:20:40.771Z", "MLAI", ["0836"],
        "Bring machine learning to the audio experiences of AirPods, HomePod and Apple Vision Pro.",
        {
            "description": "The Audio Algorithms team develops signal processing and machine learning for "
                           "speech enhancement, echo cancellation and spatial audio rendering.",
            "responsibilities": "Develop neural speech enhancement and source separation models.\n"
                                "Optimize models for real-time inference on Apple silicon.",
            "minimumQualifications": "BS or MS in electrical engineering or computer science.\n"
                                     "3+ years of experience in audio signal processing.",
            "preferredQualifications": "Experience with beamforming and acoustic echo cancellation.",
        },
        "The base pay range for this role is between $147,400 and $272,100.",
    ),
    "200709912": (
        "Software Engineer, Siri Platform Infrastructure", "software-engineer-siri-platform-infrastructure",
        "2026-10-28T20:11:57.318Z", "SFTWR", ["0836"],
        "Build and run the distributed services behind Siri requests.",
        {
            "description": "You will design scalable backend services and tooling used by Siri engineering teams.",
            "responsibilities": "Build highly available services in Java and Go.\n"
                                "Own deployment pipelines and observability.",
            "minimumQualifications": "5+ years of backend software engineering.\n"
                                     "Experience with Kubernetes and cloud infrastructure.",
            "preferredQualifications": "Experience with large-scale distributed systems.",
        },
        "The base pay range for this role is between $157,400 and $282,100.",
    ),
}
# Which postings each query of the apple-ml lab finds within its team filter (Machine Learning and AI), newest
# first as sort=newest returns them; the Siri infrastructure role (Software and Services) is outside the filter.
QUERIES = {
    "speech recognition": ["200714001", "200714077"],
    "speech research": ["200714001", "200714077"],
    "siri speech": ["200714001", "200714077"],
    "audio machine learning": ["200713550"],
}
DEMO_TEAMS = ["teamsAndSubTeams-MLAI"]


def search_rows(position_id: str) -> list[dict]:
    """A search result row per location, the way Apple lists a multi-city posting."""
    title, slug, posted, team, cities, summary, _, _ = JOBS[position_id]
    rows = []
    for code in cities:
        name, country, country_id = CITIES[code]
        rows.append({
            "id": f"{position_id}-{code}", "positionId": position_id, "reqId": f"{position_id}-{code}", "type": "REQ",
            "postingTitle": title, "transformedPostingTitle": slug, "postDateInGMT": posted,
            "postingDate": "Nov 17, 2026", "jobSummary": summary, "homeOffice": False, "standardWeeklyHours": 40,
            "locations": [{"name": name, "countryName": country, "countryID": country_id}],
            "team": TEAMS[team],
        })
    return rows


def detail(position_id: str) -> dict:
    title, slug, posted, team, cities, summary, sections, pay = JOBS[position_id]
    footers = []
    if pay:
        footers.append({"postLocationId": f"postLocation-{cities[0]}",
                        "localizations": {"en_US": [{"content": f"<p>{pay}</p>"}]}})
    return {"res": {
        "id": f"REQ-{position_id}", "positionId": position_id, "postingTitle": title, "transformedPostingTitle": slug,
        "postDateInGMT": posted.replace("Z", "+00:00"), "homeOffice": False, "teamNames": [TEAMS[team]["teamName"]],
        "jobSummary": summary, **sections, "postingFooters": footers,
        "locations": [{"name": CITIES[c][0], "countryName": CITIES[c][1]} for c in cities],
    }}


def recordings() -> dict[str, list[dict]]:
    entries = [entry("GET", f"{BASE}/api/v1/CSRFToken", b"", headers={"x-apple-csrf-token": TOKEN})]
    for query, ids in QUERIES.items():
        rows = [r for pid in ids for r in search_rows(pid)]
        body = {"query": query, "filters": {"teams": [{"team": team} for team in DEMO_TEAMS]}, "page": 1,
                "locale": "en-us", "sort": "newest", "format": FORMAT}
        entries.append(entry("POST", f"{BASE}/api/v1/search", {"res": {"searchResults": rows, "totalRecords": len(rows)}},
                             request_json=body))
    for position_id in dict.fromkeys(pid for ids in QUERIES.values() for pid in ids):
        entries.append(entry("GET", f"{BASE}/api/v1/jobDetails/{position_id}?locale=en-us", detail(position_id)))
    return {"apple-ml": entries}


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(adapter.BASE_URL)


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample apple site scaled to n postings on the virtual `host`: every request the adapter makes, answered."""
    samples = list(JOBS)
    rows_of: dict[str, list[dict]] = {}
    details: dict[str, dict] = {}
    queries: dict[str, list[str]] = {}
    for i in range(n):
        sample = samples[i % len(samples)]
        pid = str(600_000_000 + i)
        rows = copy.deepcopy(search_rows(sample))
        for row in rows:
            code = row["id"].split("-", 1)[1]
            row.update(positionId=pid, id=f"{pid}-{code}", reqId=f"{pid}-{code}")
        rows_of[pid] = rows
        answer = detail(sample)
        answer["res"].update(positionId=pid, id=f"REQ-{pid}")
        details[pid] = answer
        queries[pid] = in_queries(i, lab.queries)
    pages: dict[tuple[str, int], dict] = {}
    teams = {str(code).partition("/")[0] for code in lab.params.get("teams") or []}
    for query in lab.queries or [""]:
        # The team filter: only rows of the lab's teams come back.
        rows = [row for pid, qs in queries.items() if query in qs for row in rows_of[pid]
                if not teams or row["team"]["teamID"] in teams]
        for page in (start // adapter.PAGE_SIZE + 1 for start in page_starts(len(rows), adapter.PAGE_SIZE)):
            chunk = rows[(page - 1) * adapter.PAGE_SIZE:page * adapter.PAGE_SIZE]
            # The page past the end answers totalRecords 0, as the site does.
            pages[(query, page)] = {"res": {"searchResults": chunk, "totalRecords": len(rows) if chunk or page == 1 else 0}}
    return token_routes(lab, host) | search_routes(lab, host, pages) | detail_routes(lab, host, dict(details))


def token_routes(lab: Lab, host: str, token: str | None = TOKEN) -> Routes:
    """The CSRF handshake: the token in a header (none when `token` is None) and a session cookie."""
    headers = {"set-cookie": "jssid=sample; Path=/", **({"x-apple-csrf-token": token} if token else {})}
    return {key(host, "GET", f"{adapter.base_url(lab)}/api/v1/CSRFToken"): Answer(b"", "text/plain", headers=headers)}


def search_routes(lab: Lab, host: str, pages: dict[tuple[str, int], dict]) -> Routes:
    """POST /api/v1/search: the answer of each (query, page), 20 rows a page with totalRecords."""
    return {key(host, "POST", f"{adapter.base_url(lab)}/api/v1/search",
                json.dumps(adapter.search_body(lab, query, page))): Answer(json_bytes(answer))
            for (query, page), answer in pages.items()}


def detail_routes(lab: Lab, host: str, details: dict[str, dict | None]) -> Routes:
    """GET /api/v1/jobDetails/{positionId}; None: the position is closed (HTTP 404, as the site answers)."""
    return {key(host, "GET", f"{adapter.base_url(lab)}/api/v1/jobDetails/{pid}?locale={adapter.locale(lab)}"):
            GONE if answer is None else Answer(json_bytes(answer)) for pid, answer in details.items()}
