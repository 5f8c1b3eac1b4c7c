"""XML escaping for the SVG writers: text content and quoted attribute values.

The same results as the standard library's `xml.sax.saxutils.escape` and `quoteattr`, which are
not used because loading that module loads `urllib.request` and with it `http.client` and the
`email` package: about 30 ms of every cold `labelgen check`, for three string replacements.
"""

from __future__ import annotations


def escape(text: str) -> str:
    """`text` with `&`, `<` and `>` written as entities, as XML text content needs."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(text: str) -> str:
    """`text` escaped and quoted as an XML attribute value (line breaks and tabs as character
    references, so that they survive attribute normalisation)."""
    value = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'
