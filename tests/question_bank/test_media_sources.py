"""The sanitiser's media and link rule (issue 10 §1.7): pictures and sounds only from the
platform's storage, links only http(s)/mailto and opening in a new tab without opener."""

import pytest

from question_bank import foreign_media, is_platform_media, render_math, sanitise_html
from tests.question_bank.test_html import Elements

OWN = ["/media/questions/ab/0123456789abcdef/hinh-1.png", "/media/questions/demo/tam-giac.png",
       "@@PLUGINFILE@@/hinh.png", "@@PLUGINFILE@@/thu-muc/hinh%201.png"]
FOREIGN = [
    "https://tracker.example/p.png", "http://tracker.example/p.png", "HTTPS://TRACKER.EXAMPLE/p",
    "//tracker.example/p.png", "/\\tracker.example/p.png", "\\\\tracker.example\\p.png",
    "data:image/png;base64,iVBORw0KGgo=", "javascript:alert(1)", "x", "hinh.png",
    "/media/../auth/logout", "/media//tracker.example/p.png", "/media/questions/../../x",
    "/media/questions/x.png?u=1", "/media/%2e%2e/x", "/static/x.png", "/media/",
    "@@PLUGINFILE@@//tracker.example/p.png", "@@PLUGINFILE@@/http://tracker.example/p.png",
    "@@PLUGINFILE@@/../x.png",
]


@pytest.mark.parametrize("src", OWN)
def test_the_platforms_own_files_are_kept(src):
    for html in (f'<img src="{src}" alt="a">', f'<audio src="{src}" controls=""></audio>'):
        assert sanitise_html(html) == html
        assert foreign_media(html) == []
    assert is_platform_media(src)


@pytest.mark.parametrize("src", FOREIGN)
def test_every_other_source_is_dropped_and_named(src):
    for html in (f'<p><img src="{src}" alt="a"></p>', f'<audio src="{src}" controls></audio>'):
        clean = sanitise_html(html)
        assert all("src" not in attrs for _tag, attrs in Elements(clean).tags), clean
        assert sanitise_html(clean) == clean
    assert not is_platform_media(src)
    assert foreign_media(f'<img src="{src}">') == [src]


def test_entity_encoded_and_padded_sources_are_judged_as_the_browser_reads_them():
    encoded = '<img src="&#104;ttps://tracker.example/p.png"><img src="  //tracker.example/q">'
    assert "src" not in sanitise_html(encoded)
    assert foreign_media(encoded) == ["https://tracker.example/p.png", "//tracker.example/q"]


def test_every_media_attribute_of_a_payload_is_listed_once_in_order():
    payload = {"text_html": '<video poster="https://a.example/p.jpg"><source src="https://a.'
                            'example/v.mp4"></video><img srcset="https://b.example/1.png 1x, '
                            '/media/q/2.png 2x">',
               "options": [{"text_html": '<img src="https://a.example/p.jpg">'},
                           {"text_html": '<img src="/media/q/ok.png"> plain'}],
               "answer": True, "points": 1}
    assert foreign_media(payload) == ["https://a.example/p.jpg", "https://a.example/v.mp4",
                                      "https://b.example/1.png"]


@pytest.mark.parametrize("href", ["https://moet.gov.vn/tai-lieu?x=1", "http://example.vn",
                                  "mailto:giaovien@truong.edu.vn", "/media/questions/de.pdf",
                                  "#muc-2"])
def test_links_keep_their_target_and_open_in_a_new_tab_without_opener(href):
    clean = sanitise_html(f'<a href="{href}" target="_self" rel="opener">xem</a>')
    (tag, attrs), = Elements(clean).tags
    assert attrs == {"href": href, "target": "_blank", "rel": "noopener noreferrer nofollow"}
    assert sanitise_html(clean) == clean


@pytest.mark.parametrize("href", ["javascript:alert(1)", "JaVaScRiPt:alert(1)",
                                  "data:text/html,<script>alert(1)</script>",
                                  "vbscript:msgbox(1)", "file:///etc/passwd", "ftp://x.example"])
def test_links_to_other_schemes_lose_their_target(href):
    (tag, attrs), = Elements(sanitise_html(f'<a href="{href}">xem</a>')).tags
    assert "href" not in attrs


def test_rendering_applies_the_rule_to_html_stored_before_it():
    stored = ('<p>\\(x^2\\) <img src="https://tracker.example/p.png"> '
              '<a href="https://example.vn">nguồn</a></p>')
    rendered = render_math(stored)
    assert "tracker.example" not in rendered and "<msup>" in rendered
    assert 'target="_blank"' in rendered and 'rel="noopener noreferrer nofollow"' in rendered
