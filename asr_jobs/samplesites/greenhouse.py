"""Sample Greenhouse boards (Anthropic, Google DeepMind, AssemblyAI, Ai2, Speechmatics) for the demo recording."""

from __future__ import annotations

import copy
import html

from ..models import Lab
from ..scrapers.adapters import greenhouse as adapter
from .common import Answer, Routes, board_jobs, entry, host_of, json_bytes, key, paragraphs

EEO = ("We are an equal opportunity employer. All qualified applicants will receive consideration for employment "
       "without regard to race, color, religion, sex, sexual orientation, gender identity, national origin, "
       "disability, or veteran status. We offer competitive benefits, including health insurance and 401(k).")


BOARDS = "https://job-boards.greenhouse.io"
EU_BOARDS = "https://job-boards.eu.greenhouse.io"  # EU-hosted boards' public pages (their API is the global host)


def job(token: str, company: str, job_id: int, title: str, location: str, department: str, html_body: str,
        published: str, updated: str, location_type: str = "On-Site", boards: str = BOARDS) -> dict:
    """A job object as Greenhouse's board API returns it with ?content=true (content entity-escaped)."""
    return {
        "absolute_url": f"{boards}/{token}/jobs/{job_id}",
        "data_compliance": [{"type": "gdpr", "requires_consent": False, "requires_processing_consent": False,
                             "requires_retention_consent": False, "retention_period": None,
                             "demographic_data_consent_applies": False}],
        "internal_job_id": job_id - 1000000,
        "location": {"name": location},
        "metadata": [{"id": 4036944008, "name": "Location Type", "value": location_type, "value_type": "single_select"}],
        "id": job_id,
        "updated_at": updated,
        "requisition_id": f"REQ-{job_id % 100000}",
        "title": title,
        "company_name": company,
        "first_published": published,
        "language": "en",
        "application_deadline": None,
        "content": html.escape(html_body + f"<div class=\"content-conclusion\"><p>{EEO}</p></div>"),
        "departments": [{"id": 4019870008, "name": department, "child_ids": [], "parent_id": None}],
        "offices": [{"id": 4001219008, "name": location.split(";")[0], "location": location, "child_ids": [], "parent_id": None}],
        "ai_disclaimer": None,
        "include_ai_disclaimer": False,
        "ai_opt_out_request_url": None,
    }


def board(token: str, jobs: list[dict]) -> dict:
    url = f"https://boards-api.greenhouse.io/v1/boards/{token}/jobs?content=true"
    return entry("GET", url, {"jobs": jobs, "meta": {"total": len(jobs)}})


def recordings() -> dict[str, list[dict]]:
    anthropic = [
        job("anthropic", "Anthropic", 5401001008, "Research Scientist, Audio and Speech", "San Francisco, CA | New York City, NY",
            "Research", paragraphs(
                "# About the role",
                "We are building speech understanding and generation into Claude. You will lead research on "
                "self-supervised speech representations, streaming speech recognition and spoken language modeling.",
                "# Responsibilities",
                ["Design and run large-scale pretraining experiments for audio encoders (wav2vec 2.0, HuBERT-style objectives)",
                 "Develop end-to-end ASR models (RNN-T, CTC, attention encoder-decoders) with low latency",
                 "Publish and present at Interspeech, ICASSP and NeurIPS"],
                "# You may be a good fit if you have",
                ["A PhD in speech processing, machine learning or a related field",
                 "First-author publications on speech recognition or self-supervised learning",
                 "Experience with distributed training on thousands of accelerators"],
                "The expected base salary for this position is $320,000 - $485,000 USD."),
            "2026-10-02T10:00:00-04:00", "2026-11-18T09:12:00-05:00"),
        job("anthropic", "Anthropic", 5401002008, "Research Engineer, Interpretability", "San Francisco, CA",
            "Research", paragraphs(
                "Our Interpretability team reverse-engineers how large language models work.",
                ["Build tooling for sparse autoencoders and circuit analysis", "Run experiments on frontier models",
                 "Strong Python and PyTorch skills"],
                "Annual salary: $315,000 - $560,000 USD."),
            "2026-09-14T12:00:00-04:00", "2026-11-10T08:00:00-05:00"),
        job("anthropic", "Anthropic", 5401003008, "Account Executive, Enterprise", "London, UK", "Sales", paragraphs(
            "Drive adoption of Claude among enterprise customers in EMEA.",
            ["7+ years of enterprise SaaS sales", "Experience closing complex deals"]),
            "2026-10-20T09:00:00-04:00", "2026-11-01T09:00:00-04:00", "Hybrid"),
    ]
    deepmind = [
        job("deepmind", "DeepMind", 7301001, "Research Scientist, Speech and Audio Generation", "London, UK; Mountain View, California, US",
            "Research", paragraphs(
                "# Snapshot",
                "Join the team behind our speech and audio models. We study multilingual speech recognition, "
                "code-switching, speech translation and robust recognition of far-field and noisy speech.",
                "# Key responsibilities",
                ["Advance the state of the art in multilingual and low-resource ASR",
                 "Research conformer and transformer encoders, neural transducers and sequence-to-sequence models",
                 "Collaborate with Gemini teams to ship audio understanding"],
                "# About you",
                ["PhD in machine learning, speech or signal processing",
                 "Track record of publications at Interspeech, ICASSP, ICML or NeurIPS"],
                "The US base salary range for this full-time position is between $197,000 - $291,000 + bonus + equity + benefits."),
            "2026-10-11T08:00:00-04:00", "2026-11-19T11:00:00-05:00", "Hybrid"),
        job("deepmind", "DeepMind", 7301002, "Student Researcher, Spoken Language Understanding (PhD)", "Zurich, Switzerland",
            "Research", paragraphs(
                "A 12-24 week student researcher placement for PhD students working on speech.",
                ["Current PhD student in speech recognition, spoken language understanding or related area",
                 "Experience with self-supervised learning (WavLM, data2vec) is a plus"]),
            "2026-11-05T08:00:00-05:00", "2026-11-05T08:00:00-05:00"),
        job("deepmind", "DeepMind", 7301003, "Software Engineer, Infrastructure", "Mountain View, California, US",
            "Engineering", paragraphs(
                "Build the compute infrastructure used by our research teams.",
                ["Kubernetes, Borg-like schedulers, networking", "5+ years of backend engineering"],
                "The US base salary range for this full-time position is between $166,000 - $244,000."),
            "2026-08-30T08:00:00-04:00", "2026-10-30T08:00:00-04:00"),
    ]
    assemblyai = [
        job("assemblyai", "AssemblyAI", 4102001, "Research Scientist, Speech Recognition", "Remote - US", "Research",
            paragraphs(
                "AssemblyAI builds Speech AI models used by thousands of companies. Our research team trains "
                "state-of-the-art speech recognition models on millions of hours of audio.",
                ["Train and evaluate large end-to-end ASR models (Conformer, RNN-T, CTC)",
                 "Improve robustness to accents, noise and far-field audio; reduce word error rate",
                 "Work on streaming architectures and on-device efficiency (quantization, distillation)"],
                ["PhD or MS with 3+ years of speech research", "Publications at Interspeech or ICASSP are a strong plus"],
                "Salary range: $220K - $300K plus equity."),
            "2026-10-28T14:00:00-04:00", "2026-11-21T10:00:00-05:00", "Remote"),
        job("assemblyai", "AssemblyAI", 4102002, "Senior Machine Learning Engineer, Inference", "Remote - US", "Engineering",
            paragraphs("Serve our speech recognition models at scale with low latency.",
                       ["CUDA, TensorRT, Triton", "Profiling and optimizing GPU inference"]),
            "2026-09-01T14:00:00-04:00", "2026-11-02T10:00:00-05:00", "Remote"),
        job("assemblyai", "AssemblyAI", 4102003, "Account Executive", "Remote - US", "Sales",
            paragraphs("Sell speech-to-text APIs to developers and enterprises.", ["Quota-carrying SaaS sales experience"]),
            "2026-09-15T14:00:00-04:00", "2026-10-15T10:00:00-04:00", "Remote"),
    ]
    ai2 = [
        job("thealleninstitute", "Allen Institute for AI", 6001001, "Predoctoral Young Investigator, Spoken Language",
            "Seattle, WA", "Research", paragraphs(
                "Ai2's PYI program gives recent graduates two years of research experience before a PhD.",
                ["Research on speech language models and multimodal (audio-text) models",
                 "Co-author papers at ACL, EMNLP and Interspeech"],
                "The salary range is $95,000 - $115,000 per year."),
            "2026-10-15T10:00:00-07:00", "2026-11-12T10:00:00-08:00"),
        job("thealleninstitute", "Allen Institute for AI", 6001002, "Research Scientist, OLMo Pretraining", "Seattle, WA",
            "Research", paragraphs("Pretrain open language models at scale.",
                                   ["Distributed training, data curation", "PhD in NLP or ML"],
                                   "$180,000 - $260,000 per year."),
            "2026-09-20T10:00:00-07:00", "2026-11-01T10:00:00-07:00"),
    ]
    return {
        "anthropic": [board("anthropic", anthropic)],
        "google-deepmind": [board("deepmind", deepmind)],
        "assemblyai": [board("assemblyai", assemblyai)],
        "ai2": [board("thealleninstitute", ai2)],
        "speechmatics": [board("speechmatics", speechmatics_jobs())],
    }


SPEECHMATICS_ABOUT = ("<p><strong>About Speechmatics</strong></p><p>Speechmatics builds the most accurate and "
                      "inclusive speech technology in the world, understanding every voice in 55+ languages. Our "
                      "research team in Cambridge has pioneered self-supervised learning for speech since 2019.</p>")
SPEECHMATICS_BENEFITS = ["25 days holiday plus bank holidays", "Private medical insurance", "Share options",
                         "Flexible hybrid working from our Cambridge or London office"]


def speechmatics_jobs() -> list[dict]:
    """Speechmatics' sample board: an EU-hosted board (public pages on job-boards.eu.greenhouse.io)."""
    def speechmatics(job_id: int, title: str, location: str, department: str, body: str, published: str,
                     updated: str, location_type: str) -> dict:
        return job("speechmatics", "Speechmatics", job_id, title, location, department, SPEECHMATICS_ABOUT + body,
                   published, updated, location_type, boards=EU_BOARDS)

    return [
        speechmatics(4602811101, "Senior Speech Recognition Research Scientist", "Cambridge, UK; London, UK",
                     "Machine Learning", paragraphs(
                         "# The role",
                         "You will lead research on our next-generation ASR engine: large self-supervised acoustic "
                         "models, end-to-end transducers, and real-time streaming recognition with low latency.",
                         "# What you'll do",
                         ["Pretrain speech foundation models on millions of hours of unlabelled audio",
                          "Improve accuracy on accented, noisy and code-switched speech across 55+ languages",
                          "Publish at Interspeech and ICASSP and mentor junior researchers"],
                         "# What you'll bring",
                         ["PhD in speech recognition, machine learning or a related field",
                          "Hands-on experience with CTC, RNN-T or attention-based encoder-decoder models",
                          "Strong PyTorch and large-scale training skills"],
                         "Salary: £95,000 - £125,000 plus share options.",
                         "# Benefits", SPEECHMATICS_BENEFITS),
                     "2026-11-03T09:00:00+00:00", "2026-11-17T16:40:00+00:00", "Hybrid"),
        speechmatics(4615090101, "Research Intern - Speaker Diarization", "Cambridge, UK", "Machine Learning",
                     paragraphs(
                         "A 12-week summer internship for PhD students working on speaker diarization and "
                         "multi-talker speech recognition.",
                         ["Current PhD student in speech or audio machine learning", "Experience with PyTorch"],
                         "Stipend: £3,200 per month."),
                     "2026-11-14T10:30:00+00:00", "2026-11-14T10:30:00+00:00", "On-Site"),
        speechmatics(4571733101, "Senior Software Engineer - Real-time Platform", "Remote - Czechia", "Engineering",
                     paragraphs(
                         "Build the low-latency services that stream audio to our recognition engine.",
                         ["5+ years of Go, Rust or C++", "Kubernetes and WebSockets at scale"],
                         "# Benefits", SPEECHMATICS_BENEFITS),
                     "2026-09-22T08:00:00+00:00", "2026-11-02T12:00:00+00:00", "Remote"),
        speechmatics(4590412101, "Customer Success Manager", "London, UK", "Customer Success",
                     paragraphs("Help our enterprise customers get the most from speech-to-text.",
                                ["3+ years in customer success for B2B SaaS"]),
                     "2026-10-15T09:00:00+00:00", "2026-10-29T09:00:00+00:00", "Hybrid"),
    ]


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(adapter.BASE_URL)


def site(lab: Lab, n: int, host: str, *, first: int = 0) -> Routes:
    """The sample greenhouse site scaled to n postings on the virtual `host`: every request the adapter makes, answered.

    Job ids count from `first`, so that two boards of one lab can overlap (postings closed, postings new).
    """
    samples = board_jobs(recordings())
    token = lab.params["token"]
    jobs = []
    for i in range(n):
        job = copy.deepcopy(samples[i % len(samples)])
        job["id"] = 9_000_000_000 + first + i
        job["absolute_url"] = f"https://job-boards.greenhouse.io/{token}/jobs/{job['id']}"
        jobs.append(job)
    return {key(host, "GET", adapter.board_url(lab)): Answer(json_bytes({"jobs": jobs, "meta": {"total": n}}))}
