"""Benchmark: a signed unit URL read strictly (parse_unit_url) beside urllib's split (the floor).

Prints figures only.

Every scan of the verification service parses its URL once, so this is what the strict GS1
reading (the Barcode Syntax Dictionary's formats, pairings and key-qualifier rules) adds to a
scan, next to what merely splitting the URL costs in the same run.
"""

from __future__ import annotations

import base64
import random
import sys
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from bench_qr import medians_us

from labelgen.registry.digital_link import parse_digital_link
from labelgen.registry.verify import parse_unit_url

SIGNATURE_BYTES = 64  # Ed25519: 86 characters of base64url


def signed_unit_url(rng: random.Random) -> str:
    """A serialised unit's Digital Link URL as a print run stamps it."""
    signature = base64.urlsafe_b64encode(rng.randbytes(SIGNATURE_BYTES)).decode().rstrip("=")
    path = "01/08936012345674/10/L261120/21/0142CCV3W89YC3WF"
    return f"https://truyxuat.example.vn/{path}?s=4&8030=KID0{signature}"


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    url = signed_unit_url(random.Random(8030))
    actions: dict[str, Callable[[], object]] = {
        "urlsplit + parse_qsl (floor)": lambda: parse_qsl(urlsplit(url).query),
        "parse_digital_link": lambda: parse_digital_link(url),
        "parse_unit_url": lambda: parse_unit_url(url),
    }
    for action in actions.values():
        action()  # load the dictionary and fill the caches before timing
    results = medians_us(actions, repeats)
    floor = results["urlsplit + parse_qsl (floor)"]
    print(f"{len(url)}-character signed unit URL, median of {repeats} calls")
    for name, median in results.items():
        print(f"{name:<32}{median:>8.1f} µs  {median / floor:>5.1f} × the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
