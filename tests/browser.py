"""A real headless browser for the tests: Debian's Chromium driven through
ChromeDriver by Selenium (`.ci/run` installs `chromium` and `chromium-driver`).

`render(html_path, png_path)` loads a local HTML file with no network, saves a
full-page PNG screenshot and returns the text the page shows (`innerText`), so a
test checks what a reader sees, not the markup."""

from __future__ import annotations

import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _driver() -> webdriver.Chrome:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1200,900"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def render(html_path: Path, png_path: Path, width: int = 1200, height: int | None = None) -> str:
    """The page's visible text; a screenshot written to png_path: the whole page,
    or its first `height` pixels."""
    driver = _driver()
    try:
        driver.get(Path(html_path).resolve().as_uri())
        if height is None:
            height = int(driver.execute_script(
                "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")) + 120
        driver.set_window_size(width, min(height, 16000))
        driver.save_screenshot(str(png_path))
        return str(driver.execute_script("return document.body.innerText"))
    finally:
        driver.quit()


def page_elements(html_path: Path, css: str) -> list[dict]:
    """Each element matching a CSS selector: its tag, text and rendered size."""
    driver = _driver()
    try:
        driver.get(Path(html_path).resolve().as_uri())
        return [{"tag": e.tag_name, "text": e.text, "width": e.size["width"], "height": e.size["height"]}
                for e in driver.find_elements("css selector", css)]
    finally:
        driver.quit()
