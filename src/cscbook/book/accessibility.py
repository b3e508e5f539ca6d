"""Accessibility check of the built book in a real browser: axe-core in headless Chromium.

Every HTML page of ``reports/<quarter>/_build/html`` is opened at a phone width (390 px) and
a laptop width (1366 px) and checked with axe-core (WCAG 2.x A and AA rules and best
practices). Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``) and the npm package ``axe-core`` (``node_modules/axe-core/axe.min.js``
from this repository's ``package.json``); ``make test`` installs both when missing. Nothing is
downloaded at run time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from cscbook.config.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[3]
WIDTHS = (390, 1366)
HEIGHT = 900
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
)  # fmt: skip
VIOLATION_COLUMNS = ["page", "width", "rule", "impact", "nodes", "help", "example"]
_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({
      rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
      example: v.nodes.length ? v.nodes[0].html.slice(0, 300) : ''}))))
  .catch(e => done({error: String(e)}));
"""


def axe_script(path: str | Path | None = None) -> str:
    """The text of axe-core's ``axe.min.js`` (``CSCBOOK_AXE`` or ``node_modules/axe-core``)."""
    path = Path(
        path or os.environ.get("CSCBOOK_AXE") or REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
    )
    if not path.is_file():
        raise UserError(
            f"axe-core is not installed ({path} is missing): run `npm ci` in {REPO_ROOT} (make test does)."
        )
    return path.read_text(encoding="utf-8")


def browser_paths() -> tuple[str, str]:
    """(chromium, chromedriver) executables; UserError naming the Debian packages when missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        raise UserError(
            "headless Chromium is needed for the accessibility check: install Debian's packages "
            "`apt-get install -y chromium chromium-driver` (make test does this when run as root)."
        )
    return chromium, driver


@contextmanager
def chromium(width: int, height: int = HEIGHT) -> Iterator[Any]:
    """A headless Chromium (selenium WebDriver) with a ``width`` x ``height`` CSS-pixel viewport."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = browser_paths()
    profile = tempfile.mkdtemp(prefix="cscbook-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
    try:
        driver.set_script_timeout(120)
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def book_pages(html_dir: Path) -> list[Path]:
    """Every HTML page of a built book (the landing page, chapters, appendices, search, index)."""
    return sorted(p for p in Path(html_dir).rglob("*.html") if "_static" not in p.parts)


def audit(
    html_dir: Path, widths: tuple[int, ...] = WIDTHS, axe_path: str | Path | None = None
) -> pd.DataFrame:
    """axe-core violations of every page at every width: one row per page, width and rule.

    Columns: page (relative path), width (px), rule (axe rule id), impact (minor, moderate,
    serious, critical), nodes (elements failing), help, example (the first failing element).
    """
    script = axe_script(axe_path)
    html_dir = Path(html_dir)
    rows: list[dict[str, Any]] = []
    for width in widths:
        with chromium(width) as driver:
            for page in book_pages(html_dir):
                driver.get(page.resolve().as_uri())
                driver.execute_script(script)
                found = driver.execute_async_script(_RUN_AXE)
                if isinstance(found, dict):
                    raise RuntimeError(f"axe-core failed on {page}: {found.get('error')}")
                rel = page.relative_to(html_dir).as_posix()
                rows += [{"page": rel, "width": width, **v} for v in found]
    return pd.DataFrame(rows, columns=VIOLATION_COLUMNS)


def screenshot(page: Path, out: Path, width: int, height: int = HEIGHT, full: bool = True) -> Path:
    """A PNG screenshot of ``page`` at ``width`` CSS pixels (the full page height when ``full``)."""
    with chromium(width, height) as driver:
        driver.get(Path(page).resolve().as_uri())
        if full:
            total = int(driver.execute_script("return document.documentElement.scrollHeight"))
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": min(total, 20000), "deviceScaleFactor": 1, "mobile": width < 600},
            )
        driver.save_screenshot(str(out))
    return out
