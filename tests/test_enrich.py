"""Fields read from posting text: seniority, pay, degree, publications, venues, pay bands (real phrasings), and
the readers staying linear on hostile text."""

from __future__ import annotations

import time

import pytest

from asr_jobs.enrich import (
    degree,
    posting_fields,
    publication_expectation,
    salary_from_text,
    seniority,
    venues,
    yearly,
)
from asr_jobs.models import Posting
from asr_jobs.profiles.bands import band_comparison, level_bands


@pytest.mark.parametrize("title, level", [
    ("Research Scientist Intern, Speech", "intern"),
    ("Master's internship: data augmentation for end-to-end speech parsing (ANR SynPaX)", "intern"),
    ("PhD Positions (connected to SpeechBrain): deep learning for conversational AI", "student-researcher"),
    ("PhD position: end-to-end dependency parsing of speech (ANR SynPaX)", "student-researcher"),
    ("Student Researcher, Speech (PhD)", "student-researcher"),
    ("AI Resident", "student-researcher"),
    ("Post-doc traitement des langues et de la parole (ANR SynPaX)", "postdoc"),
    ("Postdoctoral researcher in neural machine translation", "postdoc"),
    ("Research Fellow in Perceptual Audio Evaluation", "postdoc"),
    ("Manager, Voice Input and Speech Synthesis", "manager"),
    ("Head of Speech Research", "manager"),
    ("Staff Research Engineer, TTS", "principal-staff"),
    ("Principal/Staff Research Scientist", "principal-staff"),
    ("Senior Research Engineer, TTS", "senior"),
    ("Kaldi Speech Recognition Scientist (ASR) / Senior Speech Recognition Scientist", "senior"),
    ("Sr. Applied Scientist", "senior"),
    ("Research Engineer (MS + papers)", "research-engineer"),
    ("Research Scientist, Machine Learning (Speech)", "research-scientist"),
    ("Machine Learning Researcher", "research-scientist"),
    ("Machine Learning Engineer (Voice & NLP platform)", "research-engineer"),
    ("Office Coordinator", ""),
])
def test_seniority_from_title(title, level):
    assert seniority(title) == level


def test_seniority_from_description_when_title_says_nothing():
    assert seniority("Speech team", "This is a 12-week internship in the speech team.") == "intern"
    assert seniority("Speech and language", "A postdoctoral position on diarization.") == "postdoc"
    assert seniority("Speech team", "Nothing about the level here.") == ""


def pay(low, high, currency="USD", period="year"):
    return {"salary_min": low, "salary_max": high, "salary_currency": currency, "salary_period": period}


@pytest.mark.parametrize("text, expected", [
    ("## Salary range: $185K - $325K", pay(185_000, 325_000)),
    ("Salary range: $185K – $325K", pay(185_000, 325_000)),
    ("Compensation: $180-210k + equity", pay(180_000, 210_000)),
    ("**Salary Range:** $120-150K", pay(120_000, 150_000)),
    ("Base salary: $110-145,000", pay(110_000, 145_000)),
    ("Salary: £60,000 to £75,000 per annum", pay(60_000, 75_000, "GBP")),
    ("The base salary range is 108,000 USD - 207,000 USD.", pay(108_000, 207_000)),
    ("USD 150,000 - 200,000", pay(150_000, 200_000)),
    ("💰 USD 180000.0~210000.0", pay(180_000, 210_000)),
    ("$93,600—$156,000 USD", pay(93_600, 156_000)),
    ("The national pay range for this role is $165,000 - $206,000.", pay(165_000, 206_000)),
    ("The base salary range for this role is $180,000- $235,000/year.", pay(180_000, 235_000)),
    ("**For Full-Time (Salary) US-based applicants:** $165,000/year to$235,000/year + benefits",
     pay(165_000, 235_000)),
    ("The base salary for this full-time position ranges from **$225,000** **to $275,000** , excluding benefits",
     pay(225_000, 275_000)),
    ("The estimated salary range for this role is $170,000,- $220,000.", pay(170_000, 220_000)),
    ("The base pay range for this role is: $131,200 - $172,200 per year. You are also eligible for employee "
     "benefits", pay(131_200, 172_200)),
    ("the base salary hiring range for this position is $102,200 to $323,400.", pay(102_200, 323_400)),
    ("Base Pay Range: $119,200.00 - 163,900.00 per year", pay(119_200, 163_900)),
    ("$87,200 - $130,800 CAD", pay(87_200, 130_800, "CAD")),
    ("CAN base pay range per year: CAD $150,000 - $200,000", pay(150_000, 200_000, "CAD")),
    ("Pay begins between $20-$25 / hour to top applicants", pay(20, 25, period="hour")),
    ("$45/hour", pay(45, 45, period="hour")),
    ("* Pay range for this position is $20-$25/hr", pay(20, 25, period="hour")),
    ("Hourly:** $18.00 USD", pay(18, 18, period="hour")),
    ("**Salary:** USD$4-4.5k / month + PTO", pay(48_000, 54_000)),
    ("Rémunération à partir de 3041€ bruts mensuels selon expériences", pay(36_492, None, "EUR")),
    ("€3041 brut mensuel", pay(36_492, 36_492, "EUR")),
    ("rémunération: à partir de 3041 euros bruts", pay(36_492, None, "EUR")),
    ("Salary to £65k", pay(None, 65_000, "GBP")),
    ("The expected salary for this role is $260,000 depending on skills and experiences.",
     pay(260_000, 260_000)),
    ("THE EXPECTED SALARY FOR THIS ROLE IS $260,000", pay(260_000, 260_000)),
    ("Pay Rate: $45", pay(45, 45, period="hour")),
])
def test_pay_from_text(text, expected):
    assert salary_from_text(text) == expected


@pytest.mark.parametrize("text", [
    "We have raised $130M from leading investors.",
    "a $300B GMV market in China",
    "$450 monthly allowance on food",
    "  * Up to $300 / per month for co-working",
    "-Up to $25,000 Fertility and Family Building Benefit",
    "  * $1,000 home office setup allowance",
    "  * Personal learning and development budget of USD 2,000 per year",
    "### 💲 Referral bonuses up to 5000EUR",
    "Zone B: CAD $42.00",
    "💰 371000.0",
    "A $2,000 LEARNING BUDGET",
    "Published at NeurIPS 2023 with 10,000 citations",
])
def test_amounts_that_are_not_pay(text):
    assert salary_from_text(text) is None


def test_pay_skips_benefits_before_the_salary():
    text = "Perks: $1,000 home office stipend.\nThe salary range for this role is $150,000 - $190,000."
    assert salary_from_text(text) == pay(150_000, 190_000)


def test_yearly():
    assert yearly(50, "hour") == 104_000 and yearly(3000, "month") == 36_000 and yearly(1.0, "year") == 1.0
    assert yearly(None, "hour") is None


@pytest.mark.parametrize("text, expected", [
    ("PhD in Computer Science, Electrical Engineering or a related field.", "phd-required"),
    ("- thèse en TAL ou en traitement de la parole", "phd-required"),
    ("Minimum qualifications:\n- PhD in speech recognition\n- 3 papers", "phd-required"),
    ("PhD preferred", "phd-preferred"),
    ("MS or PhD in EE/CS", "phd-preferred"),
    ("PhD or equivalent experience", "phd-preferred"),
    ("PHD OR EQUIVALENT EXPERIENCE", "phd-preferred"),
    ("PhD degree with 2 years of industry experience or a Masters degree and 4+ years", "phd-preferred"),
    ("Requirements:\n- MS in CS\n\nPreferred qualifications:\n- PhD in speech recognition", "phd-preferred"),
    ("Master's degree in Computer Science", "ms"),
    ("We are looking for PhD students to join the lab. Master's degree required.", "ms"),
    ("Currently pursuing a PhD in speech processing", ""),
    ("Bachelor's degree in Computer Science", ""),
])
def test_degree(text, expected):
    assert degree(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Publications at ICASSP, Interspeech or NeurIPS", ["ICASSP", "Interspeech", "NeurIPS"]),
    ("Lead author of an accepted publication in one of the top conferences: ICLR, ICML, NeurIPS, ICASSP, "
     "ICCV, CVPR, InterSpeech, etc.", ["ICLR", "ICML", "NeurIPS", "ICASSP", "ICCV", "CVPR", "Interspeech"]),
    ("End-to-End Dependency Parsing of Spoken French (Interspeech 2022) ... ACL 2024", ["Interspeech", "ACL"]),
    ("Papers at ICML and ACL", ["ICML", "ACL"]),
    ("Configure network ACL rules and SLT pipelines", []),
    ("IEEE/ACM Transactions on Audio, Speech, and Language Processing", ["TASLP"]),
])
def test_venues(text, expected):
    assert venues(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Track record of developing new ideas, as demonstrated by one or more first author publications",
     "first-author"),
    ("A strong track record of publications in top venues", "track-record"),
    ("A STRONG TRACK RECORD OF PUBLICATIONS IN TOP VENUES", "track-record"),
    ("🎓 Über uns — records 📈 … a strong track record of publications in top venues", "track-record"),
    ("valorisation du travail réalisé par la soumission d'article", "expected"),
    ("Build dashboards", ""),
])
def test_publication_expectation(text, expected):
    assert publication_expectation(text) == expected


def test_level_bands_come_from_the_level_profiles():
    bands = level_bands()
    assert bands["research-engineer"] == (150_000, 200_000, "USD", False)
    assert bands["research-scientist"] == (200_000, 280_000, "USD", False)
    assert bands["senior"] == (250_000, 350_000, "USD", True)
    assert bands["principal-staff"] == (300_000, 500_000, "USD", True)


@pytest.mark.parametrize("level, low, high, kwargs, expected", [
    ("research-scientist", 300_000, 350_000, {}, "above"),
    ("research-scientist", 100_000, 150_000, {}, "below"),
    ("research-scientist", 210_000, 300_000, {}, "within"),
    ("research-scientist", None, 190_000, {}, "below"),
    ("senior", 600_000, 700_000, {}, "within"),  # "$250K-$350K+": no upper bound
    ("research-engineer", 45, 60, {"period": "hour"}, "below"),
    ("research-engineer", 80, 90, {"period": "hour"}, "within"),
    ("senior-research-scientist", 200_000, 240_000, {}, "below"),
    ("research-scientist", 200_000, 250_000, {"currency": "EUR"}, None),
    ("intern", 1, 2, {}, None),
    ("research-scientist", None, None, {}, None),
])
def test_band_comparison(level, low, high, kwargs, expected):
    assert band_comparison(level, low, high, **kwargs) == expected


def test_posting_fields():
    posting = Posting(lab="x", source_id="1", title="Senior Research Scientist, Speech", url="https://x/1",
                      description="PhD in EE required. Papers at Interspeech and ICASSP.\n"
                                  "The salary range for this role is $250,000 - $320,000.")
    assert posting_fields(posting) == {
        "seniority": "senior", "degree": "phd-required", "venues": "Interspeech, ICASSP", "publications": "expected",
        "salary_min": 250_000, "salary_max": 320_000, "salary_currency": "USD", "salary_period": "year",
        "salary_source": "text",
    }


def test_posting_fields_keep_structured_pay():
    posting = Posting(lab="x", source_id="1", title="Research Engineer", url="https://x/1",
                      description="Salary: $100,000 - $120,000", salary_min=150_000.0, salary_max=170_000.0,
                      salary_currency="USD", salary_period="year")
    assert posting_fields(posting) == {"seniority": "research-engineer", "degree": "", "venues": "",
                                      "publications": ""}


def test_pay_in_the_location_line():
    posting = Posting(lab="x", source_id="1", title="Research Scientist", url="https://x/1",
                      location="💰 USD 180000.0~210000.0", description="Speech research.")
    assert posting_fields(posting)["salary_max"] == 210_000


def test_publication_expectation_is_stored_with_the_posting():
    from asr_jobs.db import store
    from asr_jobs.models import Posting
    from asr_jobs.prepare import enrich

    posting = Posting(lab="acme", source_id="1", title="Research Scientist, Speech", url="https://a.example/1",
                      description="You have a track record of publications at top venues such as Interspeech.")
    db = store.open_db(None)
    store.save_postings(db, [posting], fields=enrich([posting]))
    row = db["postings"].get(posting.id)
    assert (row["publications"], row["venues"]) == ("track-record", "Interspeech")


# --- Hostile text: every reader reads bounded windows, so a megabyte takes about as long as it takes to scan.
# The bound is generous: the readers take at most about one second here on an idle core (several times that
# when the machine is shared), the readers that rescanned the text around each match took minutes.
MEGABYTE = 1_000_000
BOUND_SECONDS = 5.0


def filler(unit: str) -> str:
    """About a megabyte of one unit repeated."""
    return unit * (MEGABYTE // len(unit))


def timed(reader, *args):
    """The reader's answer and the seconds it took."""
    started = time.perf_counter()
    answer = reader(*args)
    return answer, time.perf_counter() - started


@pytest.mark.parametrize("reader, text, expected", [
    # One sentence with a PhD mention every 15 characters, each preferred, then the real requirement.
    (degree, filler("PhD preferred, ") + "\nMinimum qualifications:\n- PhD in speech recognition\n", "phd-required"),
    # Many short lines under "Additional" headings: each mention asks to read the headings above it.
    (degree, filler("Additional PhD\n") + "PhD in Computer Science, Electrical Engineering or a related field.",
     "phd-required"),
    # Headings every twenty lines, mentions on the long lines between them.
    (degree, filler("Nice to have:\n" + "- PhD or a record of shipped speech products in a large team\n" * 20)
     + "Requirements:\n- PhD in EE\n", "phd-required"),
    # Mentions without a word boundary (not a degree), then the real one, in one line.
    (degree, filler("xPhD xMaster ") + "Master's degree in Computer Science", "ms"),
    (degree, filler("MS xMaster MSx ") + "MS in CS", "ms"),
    # A megabyte without any line break.
    (degree, filler("speech recognition research ") + "PhD preferred", "phd-preferred"),
    # Amounts that are not pay, in one line and in many: the reader weighs a bounded number of them.
    (salary_from_text, filler("$1 "), None),
    (salary_from_text, filler("$100\n"), None),
    (salary_from_text, filler("USD EUR € £ lakh "), None),
    # Amounts that are not pay before the pay (as many as a long benefits list), a megabyte of them after it.
    (salary_from_text, "$1 " * 300 + "\nThe salary range for this role is $150,000 - $190,000.\n" + filler("$100 "),
     pay(150_000, 190_000)),
    (salary_from_text, "Perks: $1,000 home office stipend.\n" * 100 + "Salary: £60,000 to £75,000 per annum\n"
     + filler("$1,000 "), pay(60_000, 75_000, "GBP")),
    (venues, filler("Computer  Speech  and  Language, ICASSP ") + "ACL 2024",
     ["Computer Speech & Language", "ICASSP", "ACL"]),
    (venues, filler("xICASSP ACLx SLT ") + "Publications at Interspeech", ["SLT", "Interspeech"]),
    (publication_expectation, filler("first record papers publi ")
     + "A strong track record of publications in top venues", "track-record"),
    (publication_expectation, filler("Lead Record Publicity ") + "Publish your work", "expected"),
])
def test_readers_stay_linear_on_a_megabyte_of_hostile_text(reader, text, expected):
    answer, seconds = timed(reader, text)
    assert answer == expected
    assert seconds < BOUND_SECONDS, f"{reader.__name__} took {seconds:.1f} s on {len(text):,} characters"


def test_seniority_reads_the_opening_of_a_megabyte_title():
    answer, seconds = timed(seniority, "Senior Research Scientist " + filler("speech "), filler("internship "))
    assert answer == "senior" and seconds < BOUND_SECONDS
    answer, seconds = timed(seniority, filler("x"), "A postdoctoral position on diarization. " + filler("x"))
    assert answer == "postdoc" and seconds < BOUND_SECONDS


def test_posting_fields_of_a_megabyte_posting():
    description = ("The salary range for this role is $150,000 - $190,000.\n"
                   + filler("PhD preferred, ICASSP, publication record, $1 "))
    posting = Posting(lab="x", source_id="1", title="Research Scientist", url="https://x/1", description=description)
    fields, seconds = timed(posting_fields, posting)
    assert fields == {"seniority": "research-scientist", "degree": "phd-preferred", "venues": "ICASSP",
                      "publications": "track-record", "salary_min": 150_000, "salary_max": 190_000,
                      "salary_currency": "USD", "salary_period": "year", "salary_source": "text"}
    assert seconds < 4 * BOUND_SECONDS  # four readers over the whole text
