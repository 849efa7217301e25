"""Sample Workday CXS sites (NVIDIA, Adobe Research, CMU LTI) for the demo recording: search pages and details."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..models import Lab
from ..scrapers.adapters import workday as adapter
from ..scrapers.registry import load_labs
from .common import Answer, Routes, entry, host_of, in_queries, json_bytes, key, page_starts, paragraphs

GONE = Answer(json_bytes({"errorCode": "S22", "httpStatus": 404, "message": "not found"}), status=404)


@dataclass
class Job:
    """One sample posting: what the search list shows and what its detail adds."""

    req: str
    title: str
    path: str
    locations: list[str]
    posted_days: int  # 0 today, 1 yesterday, 30+ shown as "30+"
    start: str
    html: str
    queries: list[str]
    time_type: str = "Full time"
    remote_type: str | None = None
    end_date: str | None = None
    extra_list: dict = field(default_factory=dict)

    def posted_on(self) -> str:
        if self.posted_days == 0:
            return "Posted Today"
        if self.posted_days == 1:
            return "Posted Yesterday"
        return "Posted 30+ Days Ago" if self.posted_days >= 30 else f"Posted {self.posted_days} Days Ago"

    def list_item(self) -> dict:
        text = self.locations[0] if len(self.locations) == 1 else f"{len(self.locations)} Locations"
        item: dict[str, Any] = {"title": self.title, "externalPath": self.path, "locationsText": text, "postedOn": self.posted_on()}
        item.update(self.extra_list)
        item["bulletFields"] = [self.req]
        return item


def detail(tenant: str, host: str, site: str, job: Job, organization: str) -> dict:
    """A detail body as GET /wday/cxs/{tenant}/{site}{externalPath} returns it."""
    posting_id = job.path.rsplit("/", 1)[-1]
    info = {
        "id": hashlib.md5(job.path.encode()).hexdigest(),  # 32 hex digits, like Workday's ids
        "title": job.title,
        "jobDescription": job.html,
        "location": job.locations[0],
        **({"additionalLocations": job.locations[1:]} if len(job.locations) > 1 else {}),
        "postedOn": job.posted_on(),
        "startDate": job.start,
        "timeType": job.time_type,
        "jobReqId": job.req,
        "jobPostingId": posting_id.removeprefix("XMLNAME-"),
        "jobPostingSiteId": site,
        "country": {"descriptor": "United States of America", "id": "bc33aa3152ec42d4995f4791a106ed09"},
        "canApply": True,
        "posted": True,
        "includeResumeParsing": True,
        "jobRequisitionLocation": {"descriptor": job.locations[0], "country": {
            "descriptor": "United States of America", "id": "bc33aa3152ec42d4995f4791a106ed09", "alpha2Code": "US"}},
        "externalUrl": f"https://{tenant}.{host}.myworkdayjobs.com/{site}{job.path}",
        "questionnaireId": "028095df097b1001ac9358c586600000",
    }
    if job.remote_type:
        info["remoteType"] = job.remote_type
    if job.end_date:
        info.update(timeLeftToApply="30+ days left to apply", endDate=job.end_date,
                    jobPostingEndDateAsText=f"End Date: {job.end_date}")
    return {"jobPostingInfo": info, "hiringOrganization": {"name": organization, "url": ""}, "similarJobs": [],
            "userAuthenticated": False}


def site_recording(lab_name: str, jobs: list[Job], organization: str) -> list[dict]:
    """Every request the adapter makes for the lab: one search page per query, one detail per posting."""
    lab = load_labs()[lab_name]
    tenant, host, site = adapter.site(lab)
    entries = []
    for query in lab.queries:
        hits = [job.list_item() for job in jobs if query in job.queries]
        page = {"total": len(hits), "jobPostings": hits, "facets": [], "userAuthenticated": False}
        entries.append(entry("POST", adapter.jobs_url(lab), page, request_json=adapter.search_body(query, 0)))
    for job in jobs:
        entries.append(entry("GET", adapter.api_base(lab) + job.path, detail(tenant, host, site, job, organization)))
    return entries


NVIDIA_EEO = ("NVIDIA is committed to fostering an inclusive work environment and proud to be an equal opportunity "
              "employer. We do not discriminate on the basis of race, religion, color, national origin, gender, "
              "gender expression, sexual orientation, age, marital status, veteran status or disability status.")


def nvidia() -> list[Job]:
    return [
        Job("JR2031001", "Research Scientist, Speech Recognition",
            "/job/US-CA-Santa-Clara/Research-Scientist--Speech-Recognition_JR2031001",
            ["US, CA, Santa Clara", "US, WA, Redmond", "US, MA, Westford"], 2, "2026-11-18", paragraphs(
                "NVIDIA's Conversational AI research team builds the speech recognition models behind Riva and NeMo. "
                "We are looking for a research scientist to push the accuracy and latency of multilingual ASR.",
                "<b>What you'll be doing:</b>",
                ["Research end-to-end ASR architectures (FastConformer, RNN-T, TDT, CTC) for streaming recognition",
                 "Scale self-supervised and semi-supervised pretraining to 100+ languages",
                 "Publish at Interspeech, ICASSP and NeurIPS and release open models and recipes in NeMo"],
                "<b>What we need to see:</b>",
                ["PhD in Computer Science, Electrical Engineering or a related field, or equivalent experience",
                 "A track record of speech recognition research: first-author papers, open-source models",
                 "Strong PyTorch skills and experience with multi-node GPU training"],
                "Your base salary will be determined based on your location, experience, and the pay of employees in "
                "similar positions. The base salary range is 168,000 USD - 264,500 USD.", NVIDIA_EEO),
            ["speech recognition", "ASR", "speech research"], remote_type="Hybrid"),
        Job("JR2030877", "Deep Learning Intern, Conversational AI - Summer 2027",
            "/job/US-WA-Redmond/Deep-Learning-Intern--Conversational-AI---Summer-2027_JR2030877-1",
            ["US, WA, Redmond"], 1, "2026-11-19", paragraphs(
                "Join NVIDIA Research for a 12-week internship on speech and spoken language models.",
                "<b>What you'll be doing:</b>",
                ["Train speech language models that listen and talk (speech-to-speech dialogue)",
                 "Evaluate spoken question answering and speech translation"],
                "<b>What we need to see:</b>",
                ["Pursuing a PhD or MS in machine learning, speech processing or NLP",
                 "Experience with PyTorch and large-scale training"],
                "The hourly rate for our interns is 26 USD - 94 USD.", NVIDIA_EEO),
            ["speech research", "conversational AI research"], time_type="Full time"),
        Job("JR2029455", "Senior Audio Software Engineer", "/job/Germany-Remote/Senior-Audio-Software-Engineer_JR2029455",
            ["Germany, Remote"], 45, "2026-10-02", paragraphs(
                "Build the audio pipeline of NVIDIA Broadcast: noise removal, echo cancellation and room echo removal.",
                ["C++ and CUDA audio DSP", "Real-time inference with TensorRT", "5+ years of audio software engineering"],
                NVIDIA_EEO),
            ["audio research"], remote_type="Remote"),
        Job("JR2028764", "Solutions Architect, Speech AI", "/job/US-TX-Remote/Solutions-Architect--Speech-AI_JR2028764",
            ["US, TX, Remote", "US, CA, Remote"], 12, "2026-11-08", paragraphs(
                "Help enterprise customers deploy speech recognition and text-to-speech with NVIDIA Riva.",
                ["Design ASR and TTS deployments on GPUs for contact centers", "Benchmark word error rate and latency",
                 "3+ years with speech AI products"],
                "The base salary range is 148,000 USD - 235,750 USD.", NVIDIA_EEO),
            ["speech recognition", "ASR"]),
    ]


ADOBE_EEO = ("Adobe is proud to be an Equal Employment Opportunity employer. We do not discriminate based on gender, "
             "race or color, ethnicity or national origin, age, disability, religion, sexual orientation, gender "
             "identity or expression, veteran status, or any other applicable characteristics protected by law.")


def adobe() -> list[Job]:
    return [
        Job("R171204", "Research Scientist - Audio and Speech",
            "/job/San-Francisco/Research-Scientist---Audio-and-Speech_R171204", ["San Francisco", "Seattle"], 6,
            "2026-11-14", paragraphs(
                "Adobe Research is looking for a research scientist in audio and speech to invent the next generation "
                "of creative tools for podcasts, video and voice.",
                "<b>What you'll do</b>",
                ["Research speech enhancement, speech recognition and voice generation models",
                 "Transfer research into Premiere Pro, Adobe Podcast and Firefly",
                 "Publish at ICASSP, Interspeech and NeurIPS"],
                "<b>What you need to succeed</b>",
                ["PhD in EE, CS or a related field with a focus on audio or speech",
                 "Strong publication record in speech or audio machine learning"],
                "The U.S. pay range for this position is $164,900 -- $302,800 annually.", ADOBE_EEO),
            ["research scientist", "speech", "audio research"]),
        Job("R170566", "2027 Research Scientist/Engineer Intern - Speech and Audio",
            "/job/San-Jose/XMLNAME-2027-Research-Scientist-Engineer-Intern---Speech-and-Audio_R170566",
            ["San Jose", "San Francisco", "Seattle"], 3, "2026-11-17", paragraphs(
                "Adobe Research summer internships pair PhD students with research scientists to publish and ship.",
                ["Work on text-to-speech, speech recognition for video editing, or audio generation",
                 "Currently enrolled in a PhD program in speech, audio, ML or a related field"],
                "The U.S. pay range for this position is $57.00 -- $75.00 hourly.", ADOBE_EEO),
            ["research scientist", "speech"], end_date="2027-01-15",
            extra_list={"timeLeftToApply": "30+ days left to apply",
                        "jobPostingEndDateAsText": "End Date: January 15, 2027"}),
        Job("R169830", "Senior Product Manager, Adobe Express", "/job/San-Francisco/Senior-Product-Manager--Adobe-Express_R169830",
            ["San Francisco"], 30, "2026-10-19", paragraphs(
                "Own the roadmap for video and text-to-speech features in Adobe Express.",
                ["7+ years of product management", "Experience shipping creative or AI features"], ADOBE_EEO),
            ["speech"]),
    ]


CMU_EEO = ("Carnegie Mellon University is an Equal Opportunity Employer/Disability/Veteran. Carnegie Mellon "
           "University does not discriminate in employment on the basis of race, color, national origin, sex, "
           "disability, age, sexual orientation, gender identity, religion, creed, ancestry, belief, veteran status "
           "or genetic information.")


def cmu() -> list[Job]:
    return [
        Job("2026-4410", "Research Intern - School of Computer Science - LTI",
            "/job/Pittsburgh-PA/Research-Intern---School-of-Computer-Science---LTI_2026-4410", ["Pittsburgh, PA"], 4,
            "2026-11-16", paragraphs(
                "The Language Technologies Institute (LTI) seeks research interns for projects on multilingual speech "
                "recognition, speech translation and spoken language understanding.",
                ["Run ASR experiments with ESPnet on low-resource languages",
                 "Prepare speech corpora and evaluate word error rate",
                 "Co-author papers with faculty and PhD students"], CMU_EEO),
            ["Language Technologies", "LTI"], time_type="Part time", remote_type="On-site"),
        Job("2026-4387", "Postdoctoral Research Associate - Language Technologies Institute",
            "/job/Pittsburgh-PA/Postdoctoral-Research-Associate---Language-Technologies-Institute_2026-4387",
            ["Pittsburgh, PA"], 9, "2026-11-11", paragraphs(
                "A postdoctoral position in the Language Technologies Institute on self-supervised speech models, "
                "speech-to-speech translation and evaluation of spoken language models.",
                ["PhD in computer science, linguistics or electrical engineering",
                 "Publications at Interspeech, ICASSP, ACL or NeurIPS"],
                "Salary range: $65,000 - $72,000 per year.", CMU_EEO),
            ["Language Technologies", "speech"]),
        Job("2026-4311", "Research Programmer - Spoken Language Systems",
            "/job/Pittsburgh-PA/Research-Programmer---Spoken-Language-Systems_2026-4311", ["Pittsburgh, PA"], 30,
            "2026-10-21", paragraphs(
                "Build and maintain open-source speech recognition and spoken dialogue toolkits used by the research "
                "community.",
                ["Python, PyTorch and GPU cluster experience", "Experience with speech toolkits (ESPnet, Kaldi, k2)"],
                CMU_EEO),
            ["speech"]),
        Job("2026-4290", "Multimedia Specialist", "/job/Pittsburgh-PA/Multimedia-Specialist_2026-4290", ["Pittsburgh, PA"],
            14, "2026-11-06", paragraphs(
                "Support lecture capture, event recording and video production for a busy academic department.",
                ["Camera, lighting and audio mixing experience", "Adobe Premiere Pro"], CMU_EEO),
            ["speech"]),
    ]


def recordings() -> dict[str, list[dict]]:
    return {
        "nvidia": site_recording("nvidia", nvidia(), "2100 NVIDIA USA"),
        "adobe-research": site_recording("adobe-research", adobe(), "Adobe Inc."),
        "cmu-lti": site_recording("cmu-lti", cmu(), "Carnegie Mellon University"),
    }


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(adapter.public_base(lab))


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample workday site scaled to n postings on the virtual `host`: every request the adapter makes, answered."""
    samples = nvidia() + adobe() + cmu()
    tenant, wd_host, site_name = adapter.site(lab)
    jobs = []
    for i in range(n):
        sample = samples[i % len(samples)]
        req = f"JR{7_000_000 + i}"
        path = sample.path.rsplit("_", 1)[0] + f"_{req}"
        jobs.append(dataclasses.replace(sample, req=req, path=path, queries=in_queries(i, lab.queries)))
    searches = {query: [job.list_item() for job in jobs if query in job.queries] for query in lab.queries or [""]}
    details: dict[str, dict | None] = {job.path: detail(tenant, wd_host, site_name, job, lab.title) for job in jobs}
    return search_routes(lab, host, searches) | detail_routes(lab, host, details)


def search_routes(lab: Lab, host: str, searches: dict[str, list[dict]]) -> Routes:
    """Each query's POST search pages: PAGE_SIZE items by offset, the total on the first page only (later pages say 0)."""
    routes: Routes = {}
    for query, hits in searches.items():
        for offset in page_starts(len(hits), adapter.PAGE_SIZE):
            page = {"total": len(hits) if offset == 0 else 0, "jobPostings": hits[offset:offset + adapter.PAGE_SIZE],
                    "facets": [], "userAuthenticated": False}
            body = json.dumps(adapter.search_body(query, offset))
            routes[key(host, "POST", adapter.jobs_url(lab), body)] = Answer(json_bytes(page))
    return routes


def detail_routes(lab: Lab, host: str, details: dict[str, dict | None]) -> Routes:
    """The detail of each externalPath; None: the job is gone (HTTP 404 with Workday's error S22)."""
    return {key(host, "GET", adapter.api_base(lab) + path): GONE if body is None else Answer(json_bytes(body))
            for path, body in details.items()}
