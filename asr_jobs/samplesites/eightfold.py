"""Sample Eightfold PCSX sites (Microsoft Research, JHU CLSP) for the demo recording: search pages and details."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..models import Lab
from ..scrapers.adapters import eightfold as adapter
from ..scrapers.registry import load_labs
from .common import HTML, Answer, Routes, entry, in_queries, json_bytes, key, page_starts, paragraphs

DAY = 86400
GONE = {"status": 404, "error": {"message": "Position not found", "body": ""}, "data": None}


@dataclass
class Position:
    """One sample position: its search result and what its details add."""

    pid: int
    display_id: str
    name: str
    locations: list[str]
    standardized: list[str]
    department: str
    posted: int  # epoch seconds
    option: str  # onsite | hybrid | remote
    employment: str
    html: str
    queries: list[str]

    def result(self) -> dict:
        return {"id": self.pid, "displayJobId": self.display_id, "name": self.name, "locations": self.locations,
                "standardizedLocations": self.standardized, "postedTs": self.posted, "solrScore": None, "stars": 0,
                "department": self.department, "creationTs": self.posted - 2 * DAY, "isHot": 0,
                "workLocationOption": self.option, "locationFlexibility": None, "atsJobId": self.display_id,
                "positionUrl": f"/careers/job/{self.pid}"}

    def details(self, host: str) -> dict:
        data = self.result()
        del data["solrScore"]
        data.update(jobDescription=self.html, location=self.locations[0], publicUrl=f"https://{host}/careers/job/{self.pid}",
                    efcustomTextRoletype=["Individual Contributor"], efcustomTextEmploymentType=[self.employment])
        return {"status": 200, "error": {"message": "", "body": ""}, "data": data, "metadata": None}


def search_page(hits: list[dict]) -> dict:
    """A PCSX search envelope as the site sends it (filter definitions trimmed to the location facet)."""
    return {"status": 200, "error": {"message": "", "body": ""}, "data": {
        "positions": hits,
        "filterDef": {"facets": {"locations": [["Remote", 999999]]}, "smartFilters": [], "allFilters": []},
        "count": len(hits), "sortBy": "timestamp", "appliedFilters": {}, "debug": {},
        "savedSearchMetadata": {"savedSearchParamsHash": None, "isSavedSearchActive": False},
        "resultsMetaData": {"usedFuzzSearch": False}}, "metadata": None}


def site_recording(lab_name: str, positions: list[Position]) -> list[dict]:
    """Every request the adapter makes for the lab: one search page per query, one details call per position."""
    lab = load_labs()[lab_name]
    host, _ = adapter.params(lab)
    entries = [entry("GET", adapter.search_url(lab, query, 0),
                     search_page([p.result() for p in positions if query in p.queries])) for query in lab.queries]
    entries += [entry("GET", adapter.detail_url(lab, str(p.pid)), p.details(host)) for p in positions]
    return entries


MS_EEO = ("Microsoft is an equal opportunity employer. All qualified applicants will receive consideration for "
          "employment without regard to age, ancestry, citizenship, color, family or medical care leave, gender "
          "identity or expression, genetic information, immigration status, marital status, medical condition, "
          "national origin, physical or mental disability, political affiliation, protected veteran or military "
          "status, race, ethnicity, religion, sex (including pregnancy), sexual orientation, or any other "
          "characteristic protected by applicable local laws, regulations and ordinances.")


def microsoft_html(overview: str, duties: list[str], required: list[str], pay: str) -> str:
    """The layout of Microsoft's jobDescription: bold headings with <br>, lists, pay line, rule, EEO text."""
    return (f"<b>Overview</b><br><p>{overview}</p><br><br><b>Responsibilities</b><br>"
            + "<ul>" + "".join(f"<li>{d}</li>" for d in duties) + "</ul><br><br><b>Qualifications</b><br>"
            + "<p><strong>Required Qualifications</strong></p><ul type=\"disc\">"
            + "".join(f"<li>{r}</li>" for r in required) + f"</ul><p>{pay}</p><br><hr><br><p>{MS_EEO}</p> ")


def microsoft() -> list[Position]:
    return [
        Position(1970393557104412, "200061877", "Research Intern - Speech and Audio Foundation Models",
                 ["United States, Washington, Redmond", "United Kingdom, Cambridge, Cambridge"],
                 ["Redmond, WA, US", "Cambridge, England, GB"], "Research Sciences", 1792656000, "onsite", "Internship",
                 microsoft_html(
                     "Microsoft Research is looking for research interns to advance speech and audio foundation "
                     "models: recognition, translation and generation in one model.",
                     ["Research self-supervised speech representations and speech-text alignment.",
                      "Run large-scale ASR and speech translation experiments on Azure GPU clusters.",
                      "Publish at Interspeech, ICASSP &amp; NeurIPS."],
                     ["Currently enrolled in a PhD program in Computer Science, Electrical Engineering or a related field.",
                      "Research experience in speech recognition, speech synthesis or audio machine learning."],
                     "Research Interns in the U.S. are paid USD $6,710 - $13,270 per month."),
                 ["speech recognition", "speech research", "research scientist speech"]),
        Position(1970393557098230, "200060912", "Principal Applied Scientist – Speech Recognition",
                 ["Canada, Québec, Montréal"], ["Montréal, QC, CA"], "Applied Sciences", 1792310400, "hybrid",
                 "Full-Time", microsoft_html(
                     "Azure AI Speech builds the speech recognition behind Teams captions, Copilot voice and call "
                     "center analytics in more than 100 languages.",
                     ["Lead the science of multilingual streaming ASR models (transducers, CTC, LLM-based decoders).",
                      "Drive word error rate and latency improvements from research to production.",
                      "Mentor applied scientists and collaborate with Microsoft Research."],
                     ["Doctorate in a relevant field AND 5+ years related research experience.",
                      "Publications or shipped systems in automatic speech recognition."],
                     "Applied Sciences IC5 - The typical base pay range for this role across Canada is CAD $153,600 - "
                     "$276,000 per year."),
                 ["speech recognition"]),
        Position(1970393557091187, "200060355", "Senior Researcher - Spoken Language Understanding",
                 ["United Kingdom, Cambridge, Cambridge"], ["Cambridge, England, GB"], "Research Sciences", 1791964800,
                 "onsite", "Full-Time", microsoft_html(
                     "Microsoft Research Cambridge seeks a senior researcher in spoken language understanding and "
                     "speech-based interaction with large language models.",
                     ["Invent models that understand conversational speech, prosody and turn-taking.",
                      "Publish at ACL, Interspeech and ICASSP and collaborate with product teams."],
                     ["PhD in computer science, speech processing or a related field.",
                      "Strong publication record in speech or spoken language processing."],
                     "Research Sciences IC4 - The typical base pay range for this role in the U.K. is GBP £62,000 - "
                     "£104,000 per year."),
                 ["speech research", "research scientist speech"]),
        Position(1970393557087005, "200059990", "Software Engineer II - Teams Audio",
                 ["United States, Multiple Locations, Multiple Locations"], ["US"], "Software Engineering", 1791878400,
                 "remote", "Full-Time", microsoft_html(
                     "The Teams audio team builds real-time audio processing for meetings and calls.",
                     ["Build echo cancellation and noise suppression pipelines in C++.",
                      "Ship audio quality improvements to hundreds of millions of users."],
                     ["Bachelor's Degree in Computer Science AND 2+ years technical engineering experience."],
                     "Software Engineering IC3 - The typical base pay range for this role across the U.S. is USD "
                     "$102,100 - $202,200 per year."),
                 ["audio research"]),
    ]


JHU_EEO = ("Johns Hopkins University is an equal opportunity employer and does not discriminate on the basis of race, "
           "color, gender, marital status, pregnancy, ethnicity, national origin, age, disability, religion, sexual "
           "orientation, gender identity or expression, veteran status or other legally protected characteristic.")


def jhu() -> list[Position]:
    return [
        Position(1133914568311, "121874", "Assistant Research Scientist - Center for Language and Speech Processing",
                 ["Baltimore, MD"], ["Baltimore, MD, US"], "WSE Center for Language & Speech Processing", 1792569600,
                 "hybrid", "Full-Time", paragraphs(
                     "The Center for Language and Speech Processing (CLSP) at Johns Hopkins seeks an Assistant "
                     "Research Scientist to lead projects in multilingual speech recognition and speech translation.",
                     "# Specific Duties & Responsibilities",
                     ["Lead research on low-resource ASR and self-supervised speech models",
                      "Mentor PhD students and write grant proposals (DARPA, IARPA, NSF)",
                      "Organize the JSALT summer workshop"],
                     "# Minimum Qualifications",
                     ["PhD in Computer Science, Electrical Engineering or Linguistics",
                      "Publications at Interspeech, ICASSP or ACL"],
                     "Salary Range: $84,500 - $148,000 annually.", JHU_EEO),
                 ["speech", "language processing", "CLSP"]),
        Position(1133914568297, "121851", "Research Engineer - Human Language Technology Center of Excellence",
                 ["Baltimore, MD"], ["Baltimore, MD, US"], "HLTCOE", 1792310400, "onsite", "Full-Time", paragraphs(
                     "The Human Language Technology Center of Excellence (HLTCOE) builds speech and text technologies "
                     "for national security applications.",
                     ["Build speech recognition and speaker identification pipelines",
                      "Run large-scale experiments on GPU clusters", "US citizenship and a TS/SCI clearance are required"],
                     "Salary Range: $95,000 - $166,000 annually.", JHU_EEO),
                 ["language processing", "human language technology"]),
        Position(1133914568245, "121790", "Speech-Language Pathologist - Otolaryngology", ["Baltimore, MD"],
                 ["Baltimore, MD, US"], "SOM Otolaryngology", 1791964800, "onsite", "Full-Time", paragraphs(
                     "Provide speech-language therapy and swallowing evaluations for a clinical research study on "
                     "voice disorders.",
                     ["Master's degree in speech-language pathology", "Maryland license and ASHA CCC"],
                     "Salary Range: $70,000 - $112,000 annually.", JHU_EEO),
                 ["speech"]),
    ]


def recordings() -> dict[str, list[dict]]:
    return {
        "microsoft-research": site_recording("microsoft-research", microsoft()),
        "jhu-clsp": site_recording("jhu-clsp", jhu()),
    }


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return adapter.params(lab)[0]


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample eightfold site scaled to n postings on the virtual `host`: every request the adapter makes, answered."""
    samples = microsoft() + jhu()
    site_host, _ = adapter.params(lab)
    positions = [dataclasses.replace(samples[i % len(samples)], pid=5_000_000_000_000 + i, display_id=str(300_000 + i),
                                     queries=in_queries(i, lab.queries)) for i in range(n)]
    searches = {query: [p.result() for p in positions if query in p.queries] for query in lab.queries or [""]}
    details: dict[str, dict | None] = {str(p.pid): p.details(site_host) for p in positions}
    return search_routes(lab, host, searches) | detail_routes(lab, host, details) | session_routes(lab, host)


# The careers page a session is bootstrapped from (its _csrf meta tag), and a robots.txt that allows it, as
# Eightfold tenants' robots.txt allow /careers and the APIs.
CAREERS_PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="_csrf" content="sample-csrf-token">'
                "<title>Careers</title></head><body><div id=\"pcs-body-container\"></div></body></html>")
ROBOTS = "User-agent: *\nAllow: /careers\nAllow: /api/pcsx\nAllow: /api/apply\nDisallow: /api/\n"


def session_routes(lab: Lab, host: str) -> Routes:
    """The careers page (with a _csrf token) and robots.txt."""
    return {key(host, "GET", adapter.careers_url(lab)): Answer(CAREERS_PAGE.encode("utf-8"), HTML),
            key(host, "GET", "/robots.txt"): Answer(ROBOTS.encode("utf-8"), "text/plain; charset=utf-8")}


def search_routes(lab: Lab, host: str, searches: dict[str, list[dict]]) -> Routes:
    """Each query's search pages: PAGE_SIZE results by `start`, the query's whole count on every page."""
    routes: Routes = {}
    for query, hits in searches.items():
        for start in page_starts(len(hits), adapter.PAGE_SIZE):
            page = search_page(hits[start:start + adapter.PAGE_SIZE])
            page["data"]["count"] = len(hits)
            routes[key(host, "GET", adapter.search_url(lab, query, start))] = Answer(json_bytes(page))
    return routes


def detail_routes(lab: Lab, host: str, details: dict[str, dict | None]) -> Routes:
    """position_details by position id; None: the position is gone (HTTP 200 with status 404 inside, as the site says)."""
    return {key(host, "GET", adapter.detail_url(lab, pid)): Answer(json_bytes(GONE if body is None else body))
            for pid, body in details.items()}
