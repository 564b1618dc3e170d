"""The identity provider's record, notice and map in docs/records/identity/ are
what `lawful ropa`, `lawful notice` and `lawful map` write today, and the
screenshots in docs/records.md are the HTML documents rendered by headless
Chromium. Regenerate: `python tests/test_records_docs.py --write` (or pytest
--update-goldens)."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script from anywhere
    import os

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))

import engine  # noqa: E402
from engine.cli import main  # noqa: E402

POLICY = "rules/examples/identity"
OUT = Path("docs/records/identity")
#: document -> the command that writes it
DOCUMENTS = {
    "ropa.md": ["ropa"], "ropa.html": ["ropa"], "ropa.json": ["ropa"], "ropa.xlsx": ["ropa"],
    "ropa.ods": ["ropa"], "notice.md": ["notice"], "notice.html": ["notice"], "map.svg": ["map"],
    "map.png": ["map"],
}
SCREENSHOTS = {"ropa.png": "ropa.html", "notice.png": "notice.html"}


def generate(folder: Path) -> None:
    """Every document of the example, as the commands write them, into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, command in DOCUMENTS.items():
        code = main([*command, POLICY, "-o", str(folder / name)])
        assert code == 0, name


def screenshots(folder: Path) -> dict[str, str]:
    """The HTML documents rendered to PNG by headless Chromium (the first 1,400
    pixels: the screenshots in docs/records.md): name -> the whole page's visible text."""
    from browser import render

    return {png: render(folder / html, folder / png, height=1400) for png, html in SCREENSHOTS.items()}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_committed_documents_are_what_the_commands_write(tmp_path, request):
    if request.config.getoption("--update-goldens"):
        write()
    generate(tmp_path)
    for name in DOCUMENTS:
        if name == "map.png":  # Graphviz's raster output is checked as an image
            assert png_size(OUT / name)[0] > 400
            continue
        assert (tmp_path / name).read_bytes() == (OUT / name).read_bytes(), (
            f"{OUT / name} is stale: run python tests/test_records_docs.py --write")


def test_the_screenshots_show_the_documents_in_a_real_browser(tmp_path):
    generate(tmp_path)
    texts = screenshots(tmp_path)
    record = engine.load_policy(POLICY)
    assert "Keyhole Identity GmbH" in texts["ropa.png"] and "Art. 30(2)" in texts["ropa.png"]
    assert "Stripe, Inc." in texts["ropa.png"] and "Right to data portability" in texts["notice.png"]
    for png in SCREENSHOTS:
        width, height = png_size(tmp_path / png)
        assert width == 1200 and 1000 < height <= 1400
        assert (OUT / png).exists(), f"run python tests/test_records_docs.py --write for {png}"
    assert record.digest[:15] in texts["ropa.png"]


def write() -> None:
    generate(OUT)
    screenshots(OUT)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_records_docs.py --write")
    write()
    print(f"wrote {OUT}")
