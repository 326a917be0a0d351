"""What the Content-Security-Policy tests share (issue 14, item 7): the strict policy every page and
response carries, a header's directives as a dict, and what a page's HTML loads (addresses) or runs
inline (scripts, ``<style>``, ``style=`` and ``on…=`` attributes), which that policy would block.
"""

from __future__ import annotations

from html.parser import HTMLParser

STRICT_POLICY = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


class Tags(HTMLParser):
    """Every address a page names (``src``, ``href``) and what it would run inline: ``<script>`` with a
    body, ``<style>``, ``style=`` and ``on…=`` attributes, ``javascript:`` addresses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.addresses: list[str] = []
        self.inline: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.addresses.extend(value or "" for name, value in attrs if name in {"src", "href"})
        self._script = tag == "script" and "src" not in a
        if tag == "style":
            self.inline.append("<style>")
        self.inline.extend(f"{name}=" for name, _ in attrs if name == "style" or name.startswith("on"))
        self.inline.extend(
            v for n, v in attrs if n in {"src", "href"} and (v or "").startswith("javascript:")
        )

    def handle_data(self, data: str) -> None:
        if self._script and data.strip():
            self.inline.append(f"<script>{data[:40]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False


def tags_of(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def directives(policy: str) -> dict[str, list[str]]:
    """``{directive: [sources]}`` of a Content-Security-Policy header."""
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}
