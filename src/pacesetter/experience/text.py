"""A practice's text, rendered from a small safe subset of Markdown: paragraphs, *emphasis*,
**strong**, lists (- item, 1. item) and [links](https://…) with rel="nofollow". Everything
is escaped first; only the markup made here is HTML. No Markdown library is a dependency."""

from __future__ import annotations

import re
from html import escape

from django.utils.safestring import SafeString, mark_safe

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_STRONG = re.compile(r"\*\*([^*\n]+)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")


def _inline(line: str) -> str:
    text = escape(line, quote=True)
    text = _LINK.sub(r'<a href="\2" rel="nofollow noopener">\1</a>', text)
    text = _STRONG.sub(r"<strong>\1</strong>", text)
    return _EMPHASIS.sub(r"<em>\1</em>", text)


def render(source: str) -> SafeString:
    out: list[str] = []
    for block in re.split(r"\n\s*\n", source.replace("\r\n", "\n").strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        for pattern, tag in ((_BULLET, "ul"), (_NUMBERED, "ol")):
            items = [pattern.match(line) for line in lines]
            if all(items):
                body = "".join(f"<li>{_inline(m.group(1))}</li>" for m in items)
                out.append(f"<{tag}>{body}</{tag}>")
                break
        else:
            out.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return mark_safe("\n".join(out))
