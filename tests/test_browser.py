"""The batch HTML page in a real browser (headless Chromium through Playwright).

Needs the ``browser`` extra (``pip install trustsignals[browser]``) and a Chromium binary
(``apt-get install chromium``; or set ``TRUSTSIGNALS_CHROMIUM`` to its path). Playwright's own
browser download is not used. Skipped, with the reason, when either is missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trustsignals import Analyzer, Report
from trustsignals.views import POLARITY_COLORS, batch_html

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("TRUSTSIGNALS_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install trustsignals[browser])"
    )
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium binary (apt-get install chromium, or set TRUSTSIGNALS_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def reports(analyzer: Analyzer) -> list[Report]:
    results = list(analyzer.analyze_many(sorted((ROOT / "samples" / "en").iterdir())))
    assert all(isinstance(r, Report) for r in results)
    return [r for r in results if isinstance(r, Report)]


def rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_when_batch_page_opens_in_chromium_then_no_errors_and_findings_are_highlighted(
    browser: Any, reports: list[Report], tmp_path: Path
) -> None:
    page_file = tmp_path / "batch.html"
    page_file.write_text(batch_html(reports), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")

    assert problems == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests

    n_findings = sum(len(r.findings) for r in reports)
    tags = page.locator("sup.ts-tag")
    assert tags.count() == n_findings
    for polarity, (background, _) in POLARITY_COLORS.items():
        marks = page.locator(f"mark.ts-{polarity}")
        if not any(f.polarity == polarity for r in reports for f in r.findings):
            continue
        first = marks.first
        first.scroll_into_view_if_needed()
        assert first.is_visible()
        box = first.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        assert first.evaluate("el => getComputedStyle(el).backgroundColor") == rgb(background)
        title = first.get_attribute("title") or ""
        assert "rule " in title

    # the index filter (inline JS) hides the other conversations
    page.fill("#ts-filter", "chat-2")
    visible_rows = page.locator(".ts-index tbody tr:not(.ts-hidden)")
    assert visible_rows.count() == 1
    assert page.locator("section.ts-conv:not(.ts-hidden)").count() == 1
    page.fill("#ts-filter", "")
    assert page.locator("section.ts-conv:not(.ts-hidden)").count() == len(reports)
    assert problems == []

    shot = tmp_path / "batch.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()
