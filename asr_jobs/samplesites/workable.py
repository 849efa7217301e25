"""A sample Workable account (Acme Voice, a made-up employer) for labs of one's own on Workable: no built-in lab
is on Workable, so there is no demo recording; the sample site serves any workable lab a --labs file adds."""

from __future__ import annotations

import copy

from ..models import Lab
from ..scrapers.adapters import workable as adapter
from .common import Answer, Routes, host_of, json_bytes, key, paragraphs

ABOUT = ("<p><strong>About Acme Voice</strong></p><p>Acme Voice builds speech recognition for call centres in "
         "55+ languages. Our research team in Cambridge works on self-supervised learning for speech.</p>")
BENEFITS = ["25 days holiday plus bank holidays", "Private medical insurance", "Share options",
            "Flexible hybrid working from our Cambridge or London office"]

PLACES = {
    "Cambridge": {"country": "United Kingdom", "countryCode": "GB", "city": "Cambridge", "region": "England", "hidden": False},
    "London": {"country": "United Kingdom", "countryCode": "GB", "city": "London", "region": "England", "hidden": False},
    "Brno": {"country": "Czechia", "countryCode": "CZ", "city": "Brno", "region": "South Moravian Region", "hidden": False},
}


def job(shortcode: str, title: str, department: str | None, places: list[str], employment: str, experience: str | None,
        published: str, created: str, body: str, *, remote: bool = False) -> dict:
    """A job exactly as the widget API returns it with ?details=true (all 19 keys plus description)."""
    first = PLACES[places[0]]
    return {
        "title": title,
        "shortcode": shortcode,
        "code": "",
        "employment_type": employment,
        "telecommuting": remote,
        "department": department,
        "url": f"https://apply.workable.com/j/{shortcode}",
        "shortlink": f"https://apply.workable.com/j/{shortcode}",
        "application_url": f"https://apply.workable.com/j/{shortcode}/apply",
        "published_on": published,
        "created_at": created,
        "country": first["country"],
        "city": first["city"],
        "state": first["region"],
        "education": "",
        "experience": experience,
        "function": "",
        "industry": "Computer Software",
        "locations": [PLACES[p] for p in places],
        "description": ABOUT + body,
    }


def account() -> dict:
    """The sample account as the widget API answers it with ?details=true."""
    jobs = [
        job("7D3A1C9E20", "Senior Speech Recognition Research Scientist", "Machine Learning", ["Cambridge", "London"],
            "Full-time", "Mid-Senior level", "2026-11-03", "2026-10-27", paragraphs(
                "# The role",
                "You will lead research on our next-generation ASR engine: large self-supervised acoustic models, "
                "end-to-end transducers, and real-time streaming recognition with low latency.",
                "# What you'll do",
                ["Pretrain speech foundation models on millions of hours of unlabelled audio",
                 "Improve accuracy on accented, noisy and code-switched speech across 55+ languages",
                 "Publish at Interspeech and ICASSP and mentor junior researchers"],
                "# What you'll bring",
                ["PhD in speech recognition, machine learning or a related field",
                 "Hands-on experience with CTC, RNN-T or attention-based encoder-decoder models",
                 "Strong PyTorch and large-scale training skills"],
                "Salary: £95,000 - £125,000 plus share options.",
                "# Benefits", BENEFITS)),
        job("B41E0F77A3", "Research Intern - Speaker Diarization", "Machine Learning", ["Cambridge"], "Other",
            "Internship", "2026-11-14", "2026-11-10", paragraphs(
                "A 12-week summer internship for PhD students working on speaker diarization and "
                "multi-talker speech recognition.",
                ["Current PhD student in speech or audio machine learning", "Experience with PyTorch"],
                "Stipend: £3,200 per month.")),
        job("C82D5A0B11", "Senior Software Engineer - Real-time Platform", "Engineering", ["Brno"], "Full-time", None,
            "2026-09-22", "2026-09-01", paragraphs(
                "Build the low-latency services that stream audio to our recognition engine.",
                ["5+ years of Go, Rust or C++", "Kubernetes and WebSockets at scale"],
                "# Benefits", BENEFITS), remote=True),
        job("E19F3B6C44", "Customer Success Manager", None, ["London"], "Part-time", "", "2026-10-15", "2026-10-15",
            paragraphs("Help our enterprise customers get the most from speech-to-text.",
                       ["3+ years in customer success for B2B SaaS"])),
    ]
    return {"name": "Acme Voice", "description": "<p>Acme Voice makes speech-to-text for call centres.</p>",
            "jobs": jobs}


def recordings() -> dict[str, list[dict]]:
    """No demo recording: no built-in lab is on Workable."""
    return {}


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(adapter.BASE_URL)


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample workable site scaled to n postings on the virtual `host`: every request the adapter makes, answered."""
    samples = account()["jobs"]
    jobs = []
    for i in range(n):
        job = copy.deepcopy(samples[i % len(samples)])
        code = f"B{i:09X}"
        job.update(shortcode=code, url=f"https://apply.workable.com/j/{code}", shortlink=f"https://apply.workable.com/j/{code}",
                   application_url=f"https://apply.workable.com/j/{code}/apply")
        jobs.append(job)
    body = {"name": "Acme Voice", "description": "<p>Speech technology.</p>", "jobs": jobs}
    return {key(host, "GET", adapter.account_url(lab)): Answer(json_bytes(body))}
