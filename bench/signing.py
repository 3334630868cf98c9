"""How fast Loket stamps and signs a PDF, and how much each signature adds.

    .venv/bin/python bench/signing.py                 # 7 runs per figure
    .venv/bin/python bench/signing.py --runs 3        # a quick look

Signs, with a freshly generated self-signed RSA-3072 certificate (the kind
`manage.py signing_certificate generate` makes), a 1-page and a 100-page A4
PDF (40 lines of text a page) through `loket.signatures.pdf.stamp_and_sign`:
the visible stamp (typed name in the handwriting font, name and date), PAdES
B-B, one incremental update. Each figure is the median of `--runs` runs after
one warm-up run (the first call loads the fonts). Growth: the 1-page document
signed five times in a row, typed and drawn, the average bytes each signature
adds. Also timed: `inspect` and an 800-pixel preview of the 100-page PDF.
The last line printed is JSON; record it in docs/performance.md.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")  # no SECRET_KEY needed: nothing is stored

import django  # noqa: E402

django.setup()

from loket.signatures import certificates, pdf  # noqa: E402
from tests.pdfs import A4, make_pdf, signature_png  # noqa: E402

GOAL_100_PAGES_MS = 1000.0
SIGNED_AT = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)


def timed(action: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Median, lowest and highest time in ms, after one warm-up call."""
    action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per figure")
    args = parser.parse_args()

    pair = certificates.generate_self_signed("Bench Kantoor BV")
    credentials = pdf.Credentials(pair.certificate, pair.private_key)

    def sign(data: bytes, y: float = 700, **kwargs: object) -> pdf.SignedPdf:
        if "signature_image" not in kwargs:
            kwargs["typed_name"] = "Daan de Vries"
        return pdf.stamp_and_sign(
            data,
            box=pdf.SignatureBox(page=0, x=300, y=y),
            signer_name="Daan de Vries",
            signed_at=SIGNED_AT,
            credentials=credentials,
            **kwargs,  # type: ignore[arg-type]
        )

    results: dict[str, float] = {}
    for pages, key in ((1, "sign_1_page_ms"), (100, "sign_100_pages_ms")):
        data = make_pdf([(*A4, 0)] * pages, lines=40)
        median, low, high = timed(partial(sign, data), args.runs)
        results[key] = round(median, 1)
        print(
            f"stamp and sign, {pages:3d} page(s), {len(data) / 1024:6.0f} KiB: "
            f"median {median:6.1f} ms (range {low:.1f}–{high:.1f}, {args.runs} runs)"
        )

    hundred = make_pdf([(*A4, 0)] * 100, lines=40)
    median, _, _ = timed(lambda: pdf.inspect(hundred), args.runs)
    print(f"inspect, 100 pages: median {median:.1f} ms")
    median, _, _ = timed(lambda: pdf.render_page(hundred, 99, 800), args.runs)
    print(f"preview of page 100 at 800 px: median {median:.1f} ms")

    growth = {}
    for kind, extra in (("typed", {}), ("drawn", {"signature_image": signature_png()})):
        data = make_pdf(lines=40)
        start = len(data)
        for n in range(5):
            data = sign(data, y=40 + n * 90, **extra).data
        growth[kind] = (len(data) - start) / 5 / 1024
        print(f"growth per signature, {kind}: {growth[kind]:.1f} KiB")
    results["growth_kib_per_signature"] = round(growth["typed"], 1)

    verdict = "met" if results["sign_100_pages_ms"] < GOAL_100_PAGES_MS else "MISSED"
    print(f"goal: 100 pages under {GOAL_100_PAGES_MS:.0f} ms: {verdict}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
