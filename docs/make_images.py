"""Make the pictures in docs/images/ (run from the repository root).

    python docs/make_images.py

- ``batch.png``: the standalone page of ``trustsignals analyze samples/en --format html``, in
  headless Chromium;
- ``report.png``: one report as a notebook shows it (``Report._repr_html_``), in headless Chromium;
- ``timeline.png``: ``trustsignals.views.plot_timeline`` of the same report (matplotlib).

Needs the ``notebook`` and ``browser`` extras and a Chromium binary (``apt-get install chromium``,
or set ``TRUSTSIGNALS_CHROMIUM``); Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from trustsignals import Analyzer, Report
from trustsignals.views import batch_html, plot_timeline

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# A conversation with a promise the customer calls broken, then one that is kept.
DEMO = {
    "id": "demo-late-parcel",
    "turns": [
        {
            "role": "customer",
            "timestamp": "2024-03-04T09:12:00",
            "text": "Hi, my order still hasn't arrived. This is the third time I'm writing.",
        },
        {
            "role": "agent",
            "timestamp": "2024-03-04T09:15:00",
            "text": "I'm so sorry for the delay, that was our mistake: the parcel went to the wrong depot. "
            "I'll send you the new tracking link by 5 pm today.",
        },
        {
            "role": "customer",
            "timestamp": "2024-03-05T10:03:00",
            "text": "You said I'd get the tracking link yesterday and nothing came.",
        },
        {
            "role": "agent",
            "timestamp": "2024-03-05T10:06:00",
            "text": "You're right, and I apologise. I've also added a £10 credit to your account. "
            "I'll call you tomorrow morning with the delivery slot.",
        },
        {
            "role": "agent",
            "timestamp": "2024-03-06T09:40:00",
            "text": "As promised, I called the depot: your parcel is booked for delivery on Thursday.",
        },
        {"role": "customer", "timestamp": "2024-03-06T09:45:00", "text": "Thanks, you've been very helpful."},
    ],
}

NOTEBOOK_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body{{margin:0;background:#fff;font-family:system-ui,sans-serif;}}
.cell{{display:flex;margin:16px;}} .prompt{{width:70px;color:#303f9f;font-family:monospace;padding-top:6px;}}
.in{{flex:1;background:#f7f7f7;border:1px solid #cfcfcf;border-radius:2px;padding:6px 8px;
font-family:monospace;font-size:13px;}} .out{{flex:1;padding:4px 8px;}} .outprompt{{color:#d84315;}}
</style></head><body>
<div class="cell"><div class="prompt">In&nbsp;[3]:</div>
<div class="in">report = analyzer.analyze(conversation)<br>report</div></div>
<div class="cell"><div class="prompt outprompt">Out[3]:</div><div class="out">{body}</div></div>
</body></html>"""


def chromium() -> str:
    for candidate in (
        os.environ.get("TRUSTSIGNALS_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    sys.exit("no Chromium binary: apt-get install chromium, or set TRUSTSIGNALS_CHROMIUM")


def screenshot(html_text: str, path: Path, width: int) -> None:
    from playwright.sync_api import sync_playwright

    page_file = OUT / f".{path.stem}.html"
    page_file.write_text(html_text, encoding="utf-8")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": width, "height": 800}, device_scale_factor=1)
            page.goto(page_file.as_uri())
            page.screenshot(path=str(path), full_page=True)
            browser.close()
    finally:
        page_file.unlink()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    analyzer = Analyzer(languages=["en"])
    reports = [
        r for r in analyzer.analyze_many(sorted((ROOT / "samples" / "en").iterdir())) if isinstance(r, Report)
    ]
    screenshot(batch_html(reports, title="trustsignals: samples/en"), OUT / "batch.png", 1200)

    report = analyzer.analyze(DEMO)
    screenshot(NOTEBOOK_PAGE.format(body=report._repr_html_()), OUT / "report.png", 1150)

    fig, ax = plt.subplots(figsize=(9, 5))
    plot_timeline(report, ax=ax)
    fig.tight_layout()
    fig.savefig(OUT / "timeline.png", dpi=110)
    plt.close(fig)
    for name in ("batch.png", "report.png", "timeline.png"):
        print(OUT / name)


if __name__ == "__main__":
    main()
