"""Career-site HTML to clean text: what a reader of `asr-jobs show` and datasette sees."""

import pytest

from asr_jobs.scrapers.html_text import html_to_text, safe_url


@pytest.mark.parametrize(
    "markup, text",
    [
        ("<p>Hello&nbsp;<b>bold</b> world</p>", "Hello bold world"),
        ("<ul><li>one <a href='x'>link</a></li><li>two</li></ul>", "- one link\n- two"),
        # Ashby, Lever and Workday editors wrap each list item's text in a paragraph.
        ("<ul><li><p>one</p></li><li><p>two</p></li></ul><p>after</p>", "- one\n- two\n\nafter"),
        ("<h2>About the role</h2><p>Research ASR.</p>", "About the role\n\nResearch ASR."),
        ("<ul><li></li><li>real</li></ul>text", "- real\n\ntext"),
        ("<p>a<br>b</p>", "a\nb"),
        ("<p>x</p><script>alert(1)</script><style>p{}</style><p>y</p>", "x\n\ny"),
        ("plain &amp; simple", "plain & simple"),
        ("", ""),
        (None, ""),
    ],
)
def test_html_to_text(markup, text):
    assert html_to_text(markup) == text


@pytest.mark.parametrize(
    "url, kept",
    [("https://jobs.example/1", True), ("http://a.b/c", True), ("javascript:alert(1)", False),
     ("data:text/html,x", False), ("/relative/path", False), (None, False)],
)
def test_safe_url_keeps_only_http(url, kept):
    assert safe_url(url) == (url.strip() if kept else "")
