"""What student markup may keep on a page a TA opens, and the check every such page must pass.

A submission's markdown (and anything else a student wrote) is hostile data: it may
carry ``<script>``, event handlers, ``javascript:`` links, frames, forms, style sheets
or images that load from elsewhere. :func:`clean` keeps a short allowlist of tags
(text structure, tables, code, links and ``data:`` images) and attributes, and drops
everything else with its markup. :func:`check_page` reads a whole rendered page and
refuses one that holds a script, an event-handler attribute, a frame, an object, a
form, a ``<base>``, a link or load to outside the page, a style sheet that imports or
loads a URL, or not exactly the page's own Content-Security-Policy (:data:`CSP`: no
scripts, no remote loads, images and fonts only from ``data:``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
       "base-uri 'none'; form-action 'none'")
_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "b", "i", "u", "s", "del", "sub",
         "sup", "code", "pre", "kbd", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead",
         "tbody", "tr", "th", "td", "a", "img", "span", "div"}
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*")


class UnsafePage(Exception):
    """A rendered page holds what :func:`check_page` forbids (a grader problem, never the student's)."""


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a" and name == "href":
        return value.startswith("#") or urlsplit(value).scheme.lower() in ("http", "https", "mailto")
    if tag == "img" and name == "src":
        return bool(_DATA_IMAGE.fullmatch(value))
    return (tag, name) in {("a", "title"), ("img", "alt"), ("img", "title"), ("ol", "start"), ("td", "colspan"),
                           ("td", "rowspan"), ("th", "colspan"), ("th", "rowspan"), ("td", "align"), ("th", "align")}


def clean(markup: str) -> str:
    """Rendered student markdown with every tag and attribute outside a short allowlist removed."""
    import bleach  # nbconvert's own dependency (its SanitizeHTML uses it)

    return bleach.clean(markup, tags=_TAGS, attributes=_allowed_attribute,
                        protocols=["http", "https", "mailto", "data"], strip=True, strip_comments=True)


class _Audit(HTMLParser):
    FORBIDDEN = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "base", "link",
                 "audio", "video", "source", "track", "portal", "input", "button", "textarea", "select"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.csp = 0
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.FORBIDDEN:
            self.problems.append(f"a <{tag}> element")
        if tag == "meta" and "http-equiv" in attributes:
            if attributes["http-equiv"].lower() != "content-security-policy" or attributes.get("content") != CSP:
                self.problems.append("a <meta http-equiv> other than the page's policy")
            self.csp += 1
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"an event-handler attribute {name} on <{tag}>")
            elif name in ("href", "xlink:href") and not (tag == "a" and _allowed_attribute("a", "href", value)):
                self.problems.append(f"a link {value[:60]!r} on <{tag}>")
            elif name in ("src", "srcset", "action", "formaction", "poster", "data", "background", "style") \
                    and not (tag == "img" and name == "src" and _DATA_IMAGE.fullmatch(value)):
                self.problems.append(f"an attribute {name} on <{tag}>")
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        self.in_style = False

    def handle_data(self, data):
        if self.in_style and ("@import" in data or re.search(r"url\(\s*['\"]?(?!data:)", data)):
            self.problems.append("a style sheet that loads from outside the page")


def check_page(page: str) -> None:
    """Raise :class:`UnsafePage` unless the page has the policy and no script, event handler,
    frame, form or load from outside itself."""
    audit = _Audit()
    audit.feed(page)
    audit.close()
    if audit.csp != 1:
        audit.problems.append(f"{audit.csp} Content-Security-Policy meta tags (one expected)")
    if audit.problems:
        raise UnsafePage("the rendered page is not safe to open: it has " + "; ".join(dict.fromkeys(audit.problems)))
