"""Sample Ashby boards (OpenAI, Deepgram) for the demo recording."""

from __future__ import annotations

import copy
import re
import uuid

from ..models import Lab
from ..scrapers.adapters import ashby as adapter
from .common import Answer, Routes, board_jobs, entry, host_of, json_bytes, key

STYLE = ' style="min-height:1.5em"'

ADDRESSES = {
    "San Francisco": {"addressRegion": "California", "addressCountry": "United States", "addressLocality": "San Francisco"},
    "New York City": {"addressRegion": "New York", "addressCountry": "United States", "addressLocality": "New York"},
    "Seattle": {"addressRegion": "Washington", "addressCountry": "United States", "addressLocality": "Seattle"},
    "London, UK": {"addressCountry": "United Kingdom", "addressLocality": "London"},
    "Remote - US": {"addressCountry": "United States"},
}


def ashby_html(*blocks: str | list[str]) -> str:
    """Description HTML as Ashby's editor writes it: styled <p>, <strong> headings, <li><p> items."""
    out = []
    for block in blocks:
        if isinstance(block, list):
            items = "".join(f"<li><p{STYLE}>{item}</p></li>" for item in block)
            out.append(f"<ul{STYLE}>{items}</ul>")
        elif block.startswith("#"):
            out.append(f"<p{STYLE}><strong>{block.lstrip('# ')}</strong></p>")
        else:
            out.append(f"<p{STYLE}>{block}</p>")
    return "".join(out)


def plain(markup: str) -> str:
    """descriptionPlain: Ashby's text rendering (blank lines between paragraphs and ' - ' items)."""
    text = re.sub(r"<li><p[^>]*>", " - ", markup)
    text = re.sub(r"</p></li>", "\n\n", text)
    text = re.sub(r"</p>", "\n\n", text)
    return re.sub(r"<[^>]+>", "", text).replace("&amp;", "&").strip()


def component(kind: str, interval: str, low: float | None, high: float | None, summary: str) -> dict:
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, summary + kind)), "summary": summary, "compensationType": kind,
            "interval": interval, "currencyCode": "USD", "minValue": low, "maxValue": high}


def compensation(tiers: list[tuple[str | None, float, float]], interval: str = "1 YEAR", equity: bool = True) -> dict:
    """An Ashby compensation block; several tiers are zones ("Zone A", ...) and the summary spans them."""
    if not tiers:
        return {"compensationTierSummary": None, "scrapeableCompensationSalarySummary": None,
                "compensationTiers": [], "summaryComponents": []}
    hourly = interval == "1 HOUR"

    def money(value: float) -> str:
        return f"${value:,.2f}" if hourly else f"${value / 1000:g}K"

    def summary(low: float, high: float) -> str:
        return f"{money(low)} – {money(high)}" + (" per hour" if hourly else "")

    rendered = []
    for title, low, high in tiers:
        components = [component("Salary", interval, low, high, summary(low, high))]
        if equity:
            components.insert(0, component("EquityCashValue", "1 YEAR", None, None, "Offers Equity"))
        text = summary(low, high) + (" • Offers Equity" if equity else "")
        rendered.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{title}{low}{high}")), "tierSummary": text,
                         "title": title, "additionalInformation": None, "components": components})
    low, high = min(t[1] for t in tiers), max(t[2] for t in tiers)
    total = summary(low, high) + (" • Offers Equity" if equity else "") + (" • Multiple Ranges" if len(tiers) > 1 else "")
    summary_components = [{"compensationType": "Salary", "interval": interval, "currencyCode": "USD",
                           "minValue": low, "maxValue": high}]
    if equity:
        summary_components.insert(0, {"compensationType": "EquityCashValue", "interval": "1 YEAR", "currencyCode": "USD",
                                      "minValue": None, "maxValue": None})
    return {"compensationTierSummary": total,
            "scrapeableCompensationSalarySummary": None if hourly else f"{money(low)} - {money(high)}",
            "compensationTiers": rendered, "summaryComponents": summary_components}


def job(board: str, title: str, department: str, team: str, location: str, published: str, markup: str,
        pay: dict, *, employment: str = "FullTime", workplace: str | None = "Hybrid", secondary: tuple[str, ...] = (),
        listed: bool = True) -> dict:
    """A job object exactly as Ashby's posting API returns it with includeCompensation=true."""
    job_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{board}/{title}"))
    return {
        "id": job_id,
        "title": title,
        "department": department,
        "team": team,
        "employmentType": employment,
        "location": location,
        "shouldDisplayCompensationOnJobPostings": bool(pay["compensationTiers"]),
        "secondaryLocations": [{"location": name, "address": {"postalAddress": ADDRESSES[name]}} for name in secondary],
        "publishedAt": published,
        "isListed": listed,
        "isRemote": workplace == "Remote" if workplace else None,
        "workplaceType": workplace,
        "address": {"postalAddress": ADDRESSES[location]},
        "jobUrl": f"https://jobs.ashbyhq.com/{board}/{job_id}",
        "applyUrl": f"https://jobs.ashbyhq.com/{board}/{job_id}/application",
        "descriptionHtml": markup,
        "descriptionPlain": plain(markup),
        "compensation": pay,
    }


def board(name: str, jobs: list[dict]) -> dict:
    url = f"https://api.ashbyhq.com/posting-api/job-board/{name}?includeCompensation=true"
    return entry("GET", url, {"jobs": jobs, "apiVersion": "1"})


OPENAI_ABOUT = ("OpenAI is an AI research and deployment company dedicated to ensuring that general-purpose artificial "
                "intelligence benefits all of humanity. We are an equal opportunity employer.")
DEEPGRAM_ABOUT = ("Deepgram is the leading voice AI platform for developers building speech-to-text, text-to-speech and "
                  "voice agent applications. Deepgram is an equal opportunity employer.")


def openai_jobs() -> list[dict]:
    return [
        job("openai", "Research Scientist, Audio", "Research", "Audio", "San Francisco", "2026-10-21T18:02:44.511+00:00",
            ashby_html(
                "# About the Team",
                "The Audio team trains the speech recognition and speech generation models behind ChatGPT voice and "
                "the Realtime API, from large-scale pretraining on audio to post-training for conversational speech.",
                "# About the Role",
                "You will push the state of the art in speech understanding: robust multilingual ASR, "
                "speech-to-speech models, and evaluation of spoken dialogue. This role is based in San Francisco; "
                "we use a hybrid work model of 3 days in the office per week.",
                "# In this role, you will:",
                ["Design pretraining and fine-tuning recipes for audio encoders and end-to-end speech models",
                 "Improve word error rate and latency of streaming recognition across 50+ languages",
                 "Build evaluations for accents, noisy far-field audio and code-switching"],
                "# You might thrive in this role if you:",
                ["Have a PhD or equivalent research experience in speech recognition or audio machine learning",
                 "Have published at Interspeech, ICASSP, NeurIPS or ICML",
                 "Are fluent in PyTorch and large-scale distributed training"],
                "# About OpenAI", OPENAI_ABOUT),
            compensation([("San Francisco or New York", 310000, 460000), ("Zone A", 279000, 414000)]),
            secondary=("New York City",)),
        job("openai", "Research Engineer, Realtime Speech", "Applied AI", "Realtime", "Seattle",
            "2026-11-04T16:40:10.090+00:00", ashby_html(
                "# About the Team",
                "Realtime builds low-latency voice experiences on top of our speech models.",
                "# In this role, you will:",
                ["Optimize streaming speech recognition and text-to-speech inference on GPUs",
                 "Run ablations on voice activity detection and turn-taking"],
                "# About OpenAI", OPENAI_ABOUT),
            compensation([(None, 245000, 385000)]), workplace="OnSite"),
        job("openai", "IT Support Specialist", "IT", "IT", "Seattle", "2026-09-30T14:32:00.452+00:00", ashby_html(
            "# About the Role",
            "Provide frontline IT support for employees: laptops, accounts, conference rooms.",
            ["3+ years of IT support experience", "Familiarity with macOS fleet management"],
            "# About OpenAI", OPENAI_ABOUT),
            compensation([(None, 60.58, 108.17)], interval="1 HOUR"), workplace="OnSite"),
        job("openai", "Go To Market Lead, EMEA", "Go To Market", "Sales", "London, UK", "2026-08-12T10:00:00.000+00:00",
            ashby_html("# About the Role", "Lead enterprise sales for the OpenAI API across Europe.", "# About OpenAI",
                       OPENAI_ABOUT),
            compensation([]), workplace="Hybrid"),
    ]


def deepgram_jobs() -> list[dict]:
    return [
        job("deepgram", "Research Scientist, Speech Recognition", "Research", "Research", "Remote - US",
            "2026-10-30T20:15:00.000+00:00", ashby_html(
                "# Company Overview", DEEPGRAM_ABOUT,
                "# The Opportunity",
                "Our research team builds the Nova family of speech-to-text models. You will train end-to-end ASR "
                "models on millions of hours of real-world audio and ship them to production.",
                "# What You'll Do",
                ["Research new architectures for streaming and batch speech recognition (transducers, CTC, "
                 "attention encoder-decoders)",
                 "Scale self-supervised pretraining and pseudo-labeling pipelines",
                 "Measure and reduce word error rate on phone calls, meetings and noisy audio"],
                "# You'll Love This Role If You Have",
                ["A PhD in speech, signal processing or machine learning, or equivalent experience",
                 "Publications on ASR, speech representation learning or spoken language modeling"]),
            compensation([(None, 190000, 260000)]), workplace="Remote"),
        job("deepgram", "Machine Learning Research Intern, Voice Agents", "Research", "Research", "San Francisco",
            "2026-11-10T15:00:00.000+00:00", ashby_html(
                "# Company Overview", DEEPGRAM_ABOUT,
                "# The Opportunity",
                "A 12-week summer internship on speech-to-speech models and turn detection for voice agents.",
                ["Currently enrolled in a PhD program in speech or machine learning",
                 "Experience training speech models in PyTorch"]),
            compensation([(None, 55, 65)], interval="1 HOUR", equity=False), employment="Intern", workplace="OnSite"),
        job("deepgram", "Senior Backend Engineer, API Platform", "Engineering", "Platform", "Remote - US",
            "2026-09-18T17:30:00.000+00:00", ashby_html(
                "# Company Overview", DEEPGRAM_ABOUT,
                "# What You'll Do",
                ["Build and operate the Rust services that serve billions of minutes of audio",
                 "Own reliability of our streaming WebSocket API"]),
            compensation([(None, 170000, 220000)]), workplace="Remote"),
        job("deepgram", "Account Executive (unlisted draft)", "Sales", "Sales", "San Francisco",
            "2026-11-01T15:00:00.000+00:00", ashby_html("Internal draft."), compensation([]), listed=False),
    ]


def recordings() -> dict[str, list[dict]]:
    return {
        "openai": [board("openai", openai_jobs())],
        "deepgram": [board("deepgram", deepgram_jobs())],
    }


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(adapter.BASE_URL)


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample ashby site scaled to n postings on the virtual `host`: every request the adapter makes, answered."""
    samples = board_jobs(recordings())
    board = lab.params.get("board", lab.name)
    jobs = []
    for i in range(n):
        job = copy.deepcopy(samples[i % len(samples)])
        job["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{board}/{i}"))
        job["isListed"] = True
        job["jobUrl"] = f"https://jobs.ashbyhq.com/{board}/{job['id']}"
        job["applyUrl"] = job["jobUrl"] + "/application"
        jobs.append(job)
    return {key(host, "GET", adapter.board_url(lab)): Answer(json_bytes({"jobs": jobs, "apiVersion": "1"}))}
