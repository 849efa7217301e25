"""Sample MIT CSAIL postings (plain HTML listing pages and the posting pages they link to) for the demo recording."""

from __future__ import annotations

import json

from ..models import Lab
from .common import Answer, Routes, entry, host_of, key, paragraphs

CAREERS = "https://www.csail.mit.edu/about/jobs-csail"
FUTURETECH = "https://futuretech.mit.edu/opportunities"
SLS = "https://www.csail.mit.edu/jobs/research-scientist-spoken-language-systems"
POSTDOC = "https://www.csail.mit.edu/jobs/postdoctoral-associate-speech-multimodal-learning"
COORDINATOR = "https://futuretech.mit.edu/opportunities/project-coordinator"
ADMIN = ("https://careers.peopleclick.com/careerscp/client_mit/external/jobDetails.do"
         "?functionName=getJobDetail&jobPostId=25102&localeCode=en-us")
HTML = "text/html; charset=utf-8"


def page(title: str, body: str, head: str = "", site: str = "MIT CSAIL") -> str:
    """A Drupal-like page: header navigation, the main content, a footer."""
    return (f"<!DOCTYPE html><html lang=\"en\" dir=\"ltr\"><head><meta charset=\"utf-8\"><title>{title} | {site}</title>"
            f"{head}</head><body><a href=\"#main-content\" class=\"skip-link\">Skip to main content</a>"
            "<header><nav><a href=\"/\">Home</a> <a href=\"/about\">About</a> <a href=\"/research\">Research</a> "
            "<a href=\"/about/jobs-csail\">Jobs</a></nav></header>"
            f"<main id=\"main-content\">{body}</main>"
            "<footer><p>Massachusetts Institute of Technology, 32 Vassar Street, Cambridge, MA 02139</p>"
            "<a href=\"https://accessibility.mit.edu/\">Accessibility</a></footer></body></html>")


def careers_page() -> str:
    return page("Careers", (
        "<h1>Careers at CSAIL</h1><p>CSAIL hires research scientists, postdoctoral associates, engineers and "
        "administrative staff. Open positions in our research groups:</p><ul>"
        f"<li><a href=\"{SLS[len('https://www.csail.mit.edu'):]}\">Research Scientist, Spoken Language Systems</a></li>"
        f"<li><a href=\"{POSTDOC}\">Postdoctoral Associate, Speech and Multimodal Learning</a></li>"
        f"<li><a href=\"{ADMIN.replace('&', '&amp;')}\">Administrative Assistant II, CSAIL Headquarters</a></li>"
        "</ul><p>Research groups post their own openings too, e.g. "
        f"<a href=\"{FUTURETECH}\">FutureTech opportunities</a>. Read "
        "<a href=\"/news/csail-postdocs-honored-2026\">news about our postdocs</a>.</p>"))


def futuretech_page() -> str:
    return page("Opportunities", (
        "<h1>Opportunities</h1><p>Join FutureTech, a research project on the economics of computing and AI.</p>"
        "<ul><li><a href=\"/opportunities/project-coordinator\">Project Coordinator</a></li></ul>"), site="FutureTech")


def sls_page() -> str:
    return page("Research Scientist, Spoken Language Systems Group", (
        "<h1>Research Scientist, Spoken Language Systems Group</h1>" + paragraphs(
            "The Spoken Language Systems (SLS) group at MIT CSAIL seeks a Research Scientist to lead research on "
            "speech recognition and spoken language understanding. Current projects include self-supervised speech "
            "representation learning, audio-visual speech models and speech recognition for low-resource languages.",
            "# Responsibilities",
            ["Lead research projects on automatic speech recognition and speech-language models",
             "Mentor PhD and MEng students and write grant proposals",
             "Publish at Interspeech, ICASSP, ACL and NeurIPS"],
            "# Qualifications",
            ["PhD in computer science, electrical engineering or a related field",
             "A strong publication record in speech processing or machine learning"],
            "Appointment is for one year, renewable. Apply with a CV, research statement and three references.")),
        head="<meta property=\"article:published_time\" content=\"2026-11-09T10:30:00-05:00\">")


def postdoc_page() -> str:
    posting = {
        "@context": "https://schema.org", "@type": "JobPosting",
        "title": "Postdoctoral Associate, Speech and Multimodal Learning",
        "description": paragraphs(
            "The Spoken Language Systems group is looking for a postdoctoral associate to work on multimodal "
            "foundation models that learn from speech, text and video.",
            ["Research on spoken language models and speech-to-speech translation",
             "Build open-source training recipes and benchmarks"],
            "Candidates should hold a PhD in computer science, electrical engineering or linguistics."),
        "datePosted": "2026-10-27", "validThrough": "2027-02-01", "employmentType": "FULL_TIME",
        "hiringOrganization": {"@type": "Organization", "name": "MIT CSAIL", "sameAs": "https://www.csail.mit.edu"},
        "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": "Cambridge",
                                                      "addressRegion": "MA", "addressCountry": "US"}},
        "baseSalary": {"@type": "MonetaryAmount", "currency": "USD",
                       "value": {"@type": "QuantitativeValue", "minValue": 70000, "maxValue": 80000, "unitText": "YEAR"}},
    }
    head = f"<script type=\"application/ld+json\">{json.dumps(posting)}</script>"
    return page("Postdoctoral Associate, Speech and Multimodal Learning",
                "<h1>Postdoctoral Associate, Speech and Multimodal Learning</h1><p>See the details below.</p>", head)


def coordinator_page() -> str:
    return page("Project Coordinator", (
        "<h1>Project Coordinator</h1>" + paragraphs(
            "The Project Coordinator helps run the operational and administrative side of the FutureTech research "
            "project, working with researchers in computer science and economics.",
            ["Coordinate project timelines, resources and deliverables",
             "Support grant proposals and reporting"],
            "Bachelor's degree and two years of project coordination experience required.")), site="FutureTech")


# A Drupal site's robots.txt (the usual core rules): the listing and posting pages are allowed.
ROBOTS = ("User-agent: *\nDisallow: /admin/\nDisallow: /user/login\nDisallow: /search/\nDisallow: /node/add/\n"
          "Allow: /sites/default/files/\n")


def recordings() -> dict[str, list[dict]]:
    """Each host's robots.txt, the listing pages, then the posting pages (MIT HR's PeopleClick page is never asked)."""
    robots = [entry("GET", "https://www.csail.mit.edu/robots.txt", ROBOTS, content_type="text/plain; charset=utf-8"),
              entry("GET", "https://futuretech.mit.edu/robots.txt", "<html>Not found</html>", status=404,
                    content_type=HTML)]
    pages = [(CAREERS, careers_page()), (FUTURETECH, futuretech_page()), (SLS, sls_page()), (POSTDOC, postdoc_page()),
             (COORDINATOR, coordinator_page())]
    return {"mit-csail": robots + [entry("GET", url, body, content_type=HTML) for url, body in pages]}


def real_host(lab: Lab) -> str:
    """The host the lab's adapter asks on the internet."""
    return host_of(str(lab.params["pages"][0]))


def site(lab: Lab, n: int, host: str) -> Routes:
    """The sample mit site scaled to n postings on the virtual `host`: every request the adapter makes, answered."""
    bodies = [sls_page(), postdoc_page(), coordinator_page()]
    titles = ["Research Scientist, Spoken Language Systems Group", "Postdoctoral Associate, Speech and Multimodal Learning",
              "Project Coordinator"]
    pages = [str(p) for p in lab.params["pages"]]
    routes: Routes = {key(host, "GET", "/robots.txt"): Answer(ROBOTS.encode("utf-8"), "text/plain; charset=utf-8")}
    for number, listing in enumerate(pages):
        # Each listing page links its share of the postings, under its own site's folder.
        folder = "/jobs" if number == 0 else "/opportunities"
        mine = range(number, n, len(pages))
        links = "".join(f"<li><a href=\"{folder}/bench-{i}\">{titles[i % len(titles)]} ({i})</a></li>" for i in mine)
        html = page("Careers", f"<h1>Open positions</h1><ul>{links}</ul>")
        routes[key(host, "GET", listing)] = Answer(html.encode("utf-8"), HTML)
        for i in mine:
            routes[key(host, "GET", f"{folder}/bench-{i}")] = Answer(bodies[i % len(bodies)].encode("utf-8"), HTML)
    return routes
