import re

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_jobs.models import Lab, ParseError, Posting, ScrapeError
from asr_jobs.scrapers.adapters import jsonld
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.registry import adapter_names

from .conftest import fixture_bytes

PAGE = "https://careers.acme.test/jobs/4711"
LISTING = "https://careers.acme.test/open-positions"
ROBOTS = "https://careers.acme.test/robots.txt"  # asked once per host per run, before any page (a 404 here)
JOB_4711 = "https://careers.acme.test/jobs/4711-research-scientist-speech"
JOB_4712 = "https://careers.acme.test/jobs/4712-speech-intern"
JOB_4713 = "https://careers.acme.test/jobs/4713-office-manager?utm_source=list"


def acme(max_details: int = 400, **params) -> Lab:
    return Lab(name="acme", title="Acme Labs", category="academic", adapter="jsonld", params=params,
               max_details=max_details)


def page_html(title: str, job_id: str) -> str:
    return ('<html><head><script type="application/ld+json">'
            f'{{"@context": "https://schema.org", "@type": "JobPosting", "title": "{title}", '
            f'"identifier": {{"@type": "PropertyValue", "value": "{job_id}"}}, "datePosted": "2026-11-01", '
            '"description": "<p>Speech research.</p>", "hiringOrganization": {"name": "Acme Labs"}}'
            "</script></head><body></body></html>")


def site(pages: dict[str, str | int], seen: list[str]) -> httpx.MockTransport:
    """HTML pages by exact URL (an int is an error status); anything else is a 404."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        body = pages.get(str(request.url), 404)
        if isinstance(body, int):
            return httpx.Response(body, text="<html>Not Found</html>")
        return httpx.Response(200, text=body, headers={"content-type": "text/html; charset=utf-8"})

    return httpx.MockTransport(handler)


def listing_site(**overrides) -> dict[str, str | int]:
    pages = {
        LISTING: fixture_bytes("jsonld_listing.html").decode(),
        JOB_4711: fixture_bytes("jsonld_posting.html").decode(),
        JOB_4712: page_html("Speech Research Intern", "REQ-4712"),
        JOB_4713: page_html("Office Manager", "REQ-4713"),
    }
    pages.update(overrides)
    return pages


def test_postings_from_html_fields():
    warnings: list[str] = []
    speech, contractor = jsonld.postings_from_html(fixture_bytes("jsonld_posting.html").decode(), acme(), PAGE,
                                                   warn=warnings.append)
    assert speech.source_id == "REQ-4711"  # identifier.value
    assert speech.title == "Research Scientist, Speech & Audio"
    assert speech.url == JOB_4711  # relative `url` resolved against the page
    assert speech.company == "Acme Labs"
    assert speech.location == "Cambridge, MA, US; Pittsburgh, PA, US"  # repeated place folded, Country node read
    assert (speech.posted_at, speech.updated_at) == ("2026-10-02", "2026-11-01T08:30:00+00:00")
    assert (speech.employment_type, speech.workplace) == ("full-time", "")
    assert (speech.salary_min, speech.salary_max, speech.salary_currency, speech.salary_period) == (
        150000, 210000, "USD", "year")
    # Entity-escaped HTML read as HTML; extra text fields added under headings unless already in the text.
    assert speech.description == (
        "Join our speech team.\n\n- Train end-to-end ASR models\n- Publish at Interspeech & ICASSP\n\n"
        "Responsibilities\nLead research on streaming speech recognition.\n\n"
        "Qualifications\n- PhD in speech or machine learning\n- Publications in ASR\n\n"
        "Education\npostgraduate degree\n\nExperience\n36 months of experience"
    )
    assert speech.extra == {"valid_through": "2027-01-31T23:59", "occupational_category": "15-2051.00 Data Scientists",
                            "page_url": PAGE}
    # Second block: comment-wrapped list, schema: prefix, TELECOMMUTE, no id and no url.
    assert contractor.source_id == PAGE and contractor.url == PAGE
    assert (contractor.workplace, contractor.location) == ("remote", "Remote (USA, Canada)")
    assert contractor.employment_type == "contract" and contractor.posted_at is None  # "last week" is no date
    assert (contractor.salary_min, contractor.salary_max, contractor.salary_period) == (45.5, 45.5, "hour")
    assert contractor.company == "Acme Labs" and contractor.description == "Annotate conversational speech.\nFlexible hours."
    # The BreadcrumbList block has a trailing comma: skipped with a warning naming lab, block and page.
    assert len(warnings) == 1
    assert warnings[0].startswith(f"acme: skipped JSON-LD block 2 of {PAGE}: invalid JSON")


def test_postings_from_html_without_warn_callback_and_without_jsonld():
    broken = '<script type="application/ld+json">{"@type": "JobPosting", "title": </script>'
    assert jsonld.postings_from_html(broken, acme(), PAGE) == []
    assert jsonld.postings_from_html("<html><body>No jobs</body></html>", acme(), PAGE) == []
    assert jsonld.postings_from_html("", acme(), PAGE) == []


def test_several_untitled_ids_on_one_page_are_told_apart_by_title():
    html = ('<script type="application/ld+json">[{"@type": "JobPosting", "title": "Speech Scientist"},'
            '{"@type": "JobPosting", "title": "Audio Engineer"}, {"@type": "JobPosting", "title": "Speech Scientist"}]'
            "</script>")
    postings = jsonld.postings_from_html(html, acme(), PAGE)
    assert [(p.source_id, p.title) for p in postings] == [(PAGE, "Speech Scientist"), (f"{PAGE}#Audio Engineer", "Audio Engineer")]


def test_meta_style_detail_page():
    """Detail pages like Meta's: plain-text description plus responsibilities/qualifications fields."""
    html = """<html><head><script type="application/ld+json" nonce="x">{"@context":"http://schema.org/",
    "@type":"JobPosting","title":"Research Scientist, Speech (FAIR)","datePosted":"2026-11-04T10:12:00-08:00",
    "validThrough":"2026-12-31","employmentType":"FULL_TIME",
    "description":"Meta is seeking Research Scientists to join FAIR.",
    "responsibilities":"Advance self-supervised speech models.\\nPublish at top venues.",
    "qualifications":"PhD in speech recognition or related field.","hiringOrganization":{"@type":"Organization",
    "name":"Meta","sameAs":"https://www.metacareers.com/"},"jobLocation":[{"@type":"Place","address":{
    "@type":"PostalAddress","addressLocality":"Menlo Park, CA","addressRegion":"CA","addressCountry":
    {"@type":"Country","name":"US"}}},{"@type":"Place","name":"Remote, US"}]}</script></head></html>"""
    (posting,) = jsonld.postings_from_html(html, acme(), "https://www.metacareers.com/jobs/1234567890/")
    assert posting.source_id == "https://www.metacareers.com/jobs/1234567890/"
    assert posting.title == "Research Scientist, Speech (FAIR)" and posting.company == "Meta"
    assert posting.location == "Menlo Park, CA, US; Remote, US"
    assert posting.posted_at == "2026-11-04T10:12:00-08:00" and posting.extra["valid_through"] == "2026-12-31"
    assert posting.description == (
        "Meta is seeking Research Scientists to join FAIR.\n\n"
        "Responsibilities\nAdvance self-supervised speech models.\nPublish at top venues.\n\n"
        "Qualifications\nPhD in speech recognition or related field."
    )


@pytest.mark.parametrize("data, count", [
    ({"@type": "JobPosting", "title": "a"}, 1),
    ([{"@type": "JobPosting", "title": "a"}, {"@type": "Organization"}], 1),
    ({"@graph": [{"@type": "WebPage", "mainEntity": {"@type": "http://schema.org/JobPosting"}}]}, 1),
    ({"@type": "ItemList", "itemListElement": [{"item": {"@type": ["Thing", "JobPosting"]}}]}, 1),
    ({"@type": "JobPosting", "relatedLink": {"@type": "JobPosting"}}, 1),  # not inside another posting
    ({"@type": "Organization", "name": "JobPosting"}, 0),
    ("JobPosting", 0),
    (None, 0),
])
def test_job_nodes(data, count):
    assert len(jsonld.job_nodes(data)) == count


@pytest.mark.parametrize("value, expected", [
    ({"currency": "EUR", "value": {"value": 4000, "unitText": "MONTH"}}, (4000, 4000, "EUR", "month")),
    ([{"currency": "USD", "value": {"minValue": 1, "unitText": "WEEK"}},
      {"currency": "USD", "value": {"minValue": 100000, "unitText": "YEAR"}}], (100000, None, "USD", "year")),
    ({"currency": "USD", "value": {"minValue": 100000, "maxValue": 150000}}, (None, None, None, None)),  # no unit
    ({"currency": "USD", "value": {"minValue": "competitive", "unitText": "YEAR"}}, (None, None, None, None)),
    ("$100k", (None, None, None, None)),
    (None, (None, None, None, None)),
])
def test_salary_shapes(value, expected):
    assert jsonld.salary(value) == expected


@pytest.mark.parametrize("value, kind", [
    ("FULL_TIME", "full-time"), (["FULL_TIME", "INTERN"], "intern"), ("Part-time", "part-time"),
    ("CONTRACTOR", "contract"), ("TEMPORARY", "temporary"), ("OTHER", ""), (None, ""), (["VOLUNTEER"], ""),
])
def test_employment_type(value, kind):
    assert jsonld.employment_type(value) == kind


def test_parse_saved_page_and_bare_document():
    postings = jsonld.parse(fixture_bytes("jsonld_posting.html"), acme(), PAGE)
    assert [p.source_id for p in postings] == ["REQ-4711", PAGE]
    document = b'{"@context": "https://schema.org", "@type": "JobPosting", "title": "ASR Engineer", "url": "https://a.test/j/1"}'
    (posting,) = jsonld.parse(document, acme(), "https://a.test/feed.json")
    assert (posting.source_id, posting.url, posting.title) == ("https://a.test/j/1", "https://a.test/j/1", "ASR Engineer")


def test_parse_invalid_document_names_lab_and_url():
    with pytest.raises(ParseError) as err:
        jsonld.parse(b'{"@type": "JobPosting", ', acme(), "https://a.test/feed.json")
    assert str(err.value).startswith("acme: invalid JSON-LD document") and "https://a.test/feed.json" in str(err.value)


def test_posting_links_same_host_matching_first_text_kept():
    links = jsonld.posting_links(fixture_bytes("jsonld_listing.html").decode(), LISTING, re.compile(r"/jobs/\d+"))
    assert links == [
        (JOB_4711, "Research Scientist, Speech Recognition"),
        (JOB_4712, "Speech Research Intern"),  # "#apply" dropped; the later "Apply" link is the same page
        (JOB_4713, "Office Manager"),
    ]


def test_detect():
    assert jsonld.detect(fixture_bytes("jsonld_posting.html").decode(), "")
    assert jsonld.detect({"@graph": [{"@type": "JobPosting"}]}, "")
    assert not jsonld.detect({"jobs": []}, "")
    assert "jsonld" in adapter_names()


async def test_scrape_listing_follows_matching_links_in_order():
    seen: list[str] = []
    lab = acme(pages=[LISTING], link_pattern=r"/jobs/\d+")
    async with Fetcher(site(listing_site(), seen)) as fetcher:
        ctx = LabContext(lab, fetcher)
        postings = await jsonld.scrape(ctx)
    assert seen == [ROBOTS, LISTING, JOB_4711, JOB_4712, JOB_4713]
    assert [p.source_id for p in postings] == ["REQ-4711", JOB_4711, "REQ-4712", "REQ-4713"]
    intern = postings[2]
    assert intern.title == "Speech Research Intern" and intern.url == JOB_4712
    assert intern.extra["listing_key"] == f"{JOB_4712} | Speech Research Intern"
    assert ctx.warnings[0].startswith("acme: skipped JSON-LD block 2 of " + JOB_4711) and not ctx.partial


async def test_scrape_without_link_pattern_reads_only_the_pages():
    seen: list[str] = []
    async with Fetcher(site(listing_site(), seen)) as fetcher:
        postings = await jsonld.scrape(LabContext(acme(pages=JOB_4711), fetcher))
    assert seen == [ROBOTS, JOB_4711] and len(postings) == 2


async def test_scrape_base_url_rebases_requests_but_keeps_public_urls():
    seen: list[str] = []
    mirror = {url.replace("https://careers.acme.test", "http://127.0.0.1:8000"): body for url, body in listing_site().items()}
    lab = acme(pages=[LISTING], link_pattern=r"/jobs/\d+", base_url="http://127.0.0.1:8000")
    async with Fetcher(site(mirror, seen)) as fetcher:
        postings = await jsonld.scrape(LabContext(lab, fetcher))
    assert seen[:3] == ["http://127.0.0.1:8000/robots.txt", "http://127.0.0.1:8000/open-positions", "http://127.0.0.1:8000/jobs/4711-research-scientist-speech"]
    assert postings[2].url == JOB_4712


async def test_scrape_reuses_unchanged_posting_pages():
    seen: list[str] = []
    stored = Posting(lab="acme", source_id="REQ-4712", title="Speech Research Intern", url=JOB_4712, description="stored")
    async with Fetcher(site(listing_site(), seen)) as fetcher:
        ctx = LabContext(acme(pages=[LISTING], link_pattern=r"/jobs/\d+"), fetcher,
                         previous={"REQ-4712": stored, "REQ-4713": stored},
                         previous_keys={"REQ-4712": f"{JOB_4712} | Speech Research Intern",
                                        "REQ-4713": f"{JOB_4713} | Old title"})
        postings = await jsonld.scrape(ctx)
    assert JOB_4712 not in seen and JOB_4713 in seen  # link text changed: fetched again
    assert [p.description for p in postings if p.source_id == "REQ-4712"] == ["stored"]


async def test_scrape_caps_posting_pages_at_max_details():
    seen: list[str] = []
    async with Fetcher(site(listing_site(), seen)) as fetcher:
        ctx = LabContext(acme(max_details=1, pages=[LISTING], link_pattern=r"/jobs/\d+"), fetcher)
        postings = await jsonld.scrape(ctx)
    assert seen == [ROBOTS, LISTING, JOB_4711] and len(postings) == 2
    assert ctx.partial and ctx.warnings[-1] == "acme: 2 posting page(s) not fetched (max_details = 1)"


async def test_scrape_gone_and_empty_posting_pages_are_warnings():
    seen: list[str] = []
    async with Fetcher(site(listing_site(**{JOB_4712: 404, JOB_4713: "<html>closed</html>"}), seen),
                       retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(acme(pages=[LISTING], link_pattern=r"/jobs/\d+"), fetcher,
                         previous_keys={"REQ-4712": f"{JOB_4712} | Speech Research Intern (old title)"})
        postings = await jsonld.scrape(ctx)
    assert [p.source_id for p in postings] == ["REQ-4711", JOB_4711]
    assert f"acme: posting page answered HTTP 404: {JOB_4712}" in ctx.warnings
    assert f"acme: no JobPosting JSON-LD on {JOB_4713}" in ctx.warnings
    assert ctx.gone_ids == {"REQ-4712": JOB_4712}  # the stored posting of that page is closed
    assert not ctx.partial  # nothing was missed: those pages hold no posting


async def test_scrape_unreadable_posting_page_marks_partial():
    seen: list[str] = []
    async with Fetcher(site(listing_site(**{JOB_4712: 503}), seen), retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(acme(pages=[LISTING], link_pattern=r"/jobs/\d+"), fetcher)
        postings = await jsonld.scrape(ctx)
    assert [p.source_id for p in postings] == ["REQ-4711", JOB_4711, "REQ-4713"]
    assert ctx.partial and any(w.startswith("acme: HTTP 503") and JOB_4712 in w for w in ctx.warnings)


async def test_scrape_fails_when_every_posting_page_fails():
    seen: list[str] = []
    pages = listing_site(**{JOB_4711: 500, JOB_4712: 502, JOB_4713: 503})
    async with Fetcher(site(pages, seen), retry=RetryPolicy(attempts=1)) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await jsonld.scrape(LabContext(acme(pages=[LISTING], link_pattern=r"/jobs/\d+"), fetcher))
    assert str(err.value).startswith("acme: HTTP 503") and JOB_4713 in str(err.value)


async def test_scrape_listing_error_names_lab_url_and_cause():
    async with Fetcher(site({}, []), retry=RetryPolicy(attempts=1)) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await jsonld.scrape(LabContext(acme(pages=[LISTING]), fetcher))
    assert str(err.value) == f"acme: HTTP 404: <html>Not Found</html> ({LISTING})"


@pytest.mark.parametrize("params, message", [
    ({}, "a jsonld lab needs params.pages"),
    ({"pages": ["ftp://x.test/"]}, "a jsonld lab needs params.pages"),
    ({"pages": [LISTING], "link_pattern": "/jobs/(\\d+"}, "params.link_pattern '/jobs/(\\\\d+' is not a regular expression"),
])
async def test_scrape_bad_params(params, message):
    async with Fetcher(site({}, [])) as fetcher:
        with pytest.raises(ParseError) as err:
            await jsonld.scrape(LabContext(acme(**params), fetcher))
    assert message in str(err.value) and str(err.value).startswith("acme:")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["name", "value", "minValue", "maxValue", "unitText", "currency", "address", "addressCountry", "@type",
         "addressLocality", "description", "monthsOfExperience", "@value"]), inner, max_size=4),
    max_leaves=10,
)
FIELDS = ["title", "identifier", "url", "description", "datePosted", "validThrough", "hiringOrganization", "jobLocation",
          "jobLocationType", "applicantLocationRequirements", "employmentType", "baseSalary", "responsibilities",
          "qualifications", "educationRequirements", "experienceRequirements", "occupationalCategory", "department"]


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(FIELDS), value=JSON_VALUES)
def test_any_field_value_never_crashes(field, value):
    node = {"@type": "JobPosting", "title": "Speech Scientist", field: value}
    postings = jsonld.postings_from_nodes([node], acme(), PAGE)
    assert all(isinstance(p.title, str) and isinstance(p.description, str) for p in postings)


async def test_probe_counts_what_the_listing_pages_show_without_reading_posting_pages():
    seen: list[str] = []
    async with Fetcher(site(listing_site(), seen)) as fetcher:
        found = await jsonld.probe(LabContext(acme(pages=[LISTING], link_pattern=r"/jobs/\d+"), fetcher))
    assert seen == [ROBOTS, LISTING]
    assert found == 3  # the listing links 4711, 4712 and 4713 (and shows no JobPosting itself)
