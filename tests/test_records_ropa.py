"""The Art. 30 record (`engine.records.ropa`): goldens of every format rendered
from tests/records/sample_record.json, the workbooks read back cell by cell, the
HTML page in a real headless Chromium, and Records built by hand for the edge
cases: nothing declared, hostile strings, formula text, very long and
right-to-left strings."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import graphviz
import jsonschema
import openpyxl
import pytest
from markdown_it import MarkdownIt
from odf import teletype
from odf.config import ConfigItem
from odf.opendocument import load
from odf.table import Table, TableCell, TableHeaderRows, TableRow
from odf.text import P
from openpyxl.utils import get_column_letter

from browser import page_elements, render
from engine.records import ropa
from engine.records.model import (Category, CategoryUse, Gap, Party, Purpose, Recipient, Record, Retention, Source,
                                  Text, Transfer)

HERE = Path(__file__).parent / "records"
GOLDEN = HERE / "ropa"
SAMPLE = Record.model_validate_json((HERE / "sample_record.json").read_text(encoding="utf-8"))
SCHEMA = Path("docs/schema/ropa.schema.json")


def at(line: int, file: str = "p.law") -> Source:
    return Source(file=file, line=line)


def purpose(id: str, label: str | None = None, **fields) -> Purpose:
    return Purpose(id=id, label=label or id, provision=Text(text="Voluntary."), source=at(1), **fields)


EMPTY = Record(policy=None, digest="sha256:1")

#: strings a policy may hold that must reach every format as written
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1", "-1", "@SUM(A1)", "=1+1"]
HOSTILE = ["<script>alert(1)</script>", 'Tom & "Jerry"', "a | b", "*bold* _em_ `code` [l](u) ~~s~~ # h",
           "back\\slash \\| \\*", "Straße Müller", "שלום עולם", "مرحبا", *FORMULAS]


def hostile_record() -> Record:
    """Every hostile string in every place a record shows a policy string."""
    text = [Text(text=s, source=at(i + 1, "evil|`x`.law")) for i, s in enumerate(HOSTILE)]
    party = Party(id="acme", label=HOSTILE[0], country="DE", country_name="Germany", contact=text, dpo=text,
                  representative=text, authority=text[1], security=text, description=text[2], source=at(1))
    client = Party(id="client", label=HOSTILE[1], contact=text, dpo=text, representative=text, source=at(2))
    category = Category(id="c.x", label=HOSTILE[3], special=True, criminal=True, sources=text, description=text[4])
    transfer = Transfer(to="r", country="US", country_name=HOSTILE[5], mechanism="safeguard",
                        safeguards=[HOSTILE[6]], article=HOSTILE[7], source=at(3))
    recipient = Recipient(id="r", label=HOSTILE[8], role="joint_controller", country="US", country_name=HOSTILE[5],
                          purposes=["p0"], contact=text, transfer=transfer, description=text[9], source=at(4))
    retention = Retention(categories=["c.x"], duration=HOSTILE[10], days=1, because=HOSTILE[11], cite=HOSTILE[12])
    purposes = [purpose(f"p{i}", s, description=text[i], basis="legitimate_interest", basis_article=s,
                        basis_source=at(i), interest=text[i], subjects=text,
                        categories=[CategoryUse(category="c.x", rule=s, conditional=True, source=at(i))],
                        recipients=["r", "ghost"], transfers=[transfer], retention=[retention], automated=text[i],
                        on_behalf_of="client" if i % 2 else None)
                for i, s in enumerate(HOSTILE)]
    return Record(policy=HOSTILE[0], digest=HOSTILE[1], files=HOSTILE, controller=party, clients=[client],
                  purposes=purposes, categories=[category], recipients=[recipient], retention=[retention],
                  gaps=[Gap(code="W1101", item=s, message=s, source=at(i)) for i, s in enumerate(HOSTILE)])


# --- reading the workbooks back --------------------------------------------


def xlsx_cells(data: bytes) -> dict[str, dict[str, str]]:
    """sheet -> coordinate -> text of every non-empty cell, as openpyxl reads it."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: {cell.coordinate: cell.value for row in sheet.iter_rows() for cell in row
                          if cell.value is not None}
            for sheet in book.worksheets}


def ods_cells(data: bytes) -> dict[str, dict[str, str]]:
    """The same, as odfpy reads the OpenDocument file."""
    sheets = {}
    for table in load(io.BytesIO(data)).spreadsheet.getElementsByType(Table):
        cells = {}
        for r, row in enumerate(table.getElementsByType(TableRow), 1):
            for c, cell in enumerate(row.getElementsByType(TableCell), 1):
                text = "\n".join(teletype.extractText(p) for p in cell.getElementsByType(P))
                if text:
                    cells[f"{get_column_letter(c)}{r}"] = text
        sheets[str(table.getAttribute("name"))] = cells
    return sheets


def dump(sheets: dict[str, dict[str, str]]) -> str:
    """A text dump of every sheet's cells, for the goldens."""
    lines = []
    for name, cells in sheets.items():
        lines.append(f"== {name}")
        lines += [f"{coordinate}: {json.dumps(value, ensure_ascii=False)}" for coordinate, value in cells.items()]
    return "\n".join(lines) + "\n"


class Visible(HTMLParser):
    """The text of an HTML document, and every tag it opens."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def visible(markup: str) -> Visible:
    parser = Visible()
    parser.feed(markup)
    return parser


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --- goldens ----------------------------------------------------------------


def test_the_sample_record_as_markdown(golden):
    golden(GOLDEN / "sample.md", ropa.markdown(SAMPLE))


def test_the_sample_record_as_html(golden):
    golden(GOLDEN / "sample.html", ropa.html(SAMPLE))


def test_the_sample_record_as_json(golden):
    golden(GOLDEN / "sample.json", ropa.json_text(SAMPLE))


def test_a_hostile_record_as_markdown(golden):
    golden(GOLDEN / "hostile.md", ropa.markdown(hostile_record()))


def test_the_sample_workbooks_hold_the_same_cells(golden):
    """XLSX and ODS are the same workbook: read back, their cells are equal, and
    the golden is their dump."""
    cells = xlsx_cells(ropa.xlsx(SAMPLE))
    assert ods_cells(ropa.ods(SAMPLE)) == cells
    golden(GOLDEN / "sample.cells.txt", dump(cells))


# --- the content ------------------------------------------------------------


def test_the_record_has_items_a_to_g_for_each_controller_purpose_and_the_processor_record():
    text = ropa.markdown(SAMPLE)
    for heading in ("(a) Controller", "(b) Lawful basis", "(b) Legitimate interest", "(c) Data subjects",
                    "(c) Personal data", "(d) Recipients", "(e) Transfers to third countries",
                    "(f) Time limits for erasure", "(g) Security measures"):
        assert heading in text
    controller_part, processor_part = text.split("## Art. 30(2)")
    # login is processed for the client: it is in the Art. 30(2) record, not a card of Art. 30(1)
    assert "#### login" not in controller_part and "login (`rules/examples/identity/identity.law:41`)" in processor_part
    assert [line for line in controller_part.splitlines() if line.startswith("#### ")] == [
        "#### Keyhole Identity GmbH (`rules/examples/identity/identity.law:4`)",
        "#### billing (`rules/examples/identity/identity.law:40`)",
        "#### fraud prevention (`rules/examples/identity/identity.law:42`)",
        "#### analytics (`rules/examples/identity/identity.law:45`)"]
    assert ("| (b) Legitimate interest | Protecting accounts against takeover and credential stuffing "
            "(`rules/examples/identity/identity.law:43`) |") in text
    assert ("Stripe, Inc. (United States): Art. 45 (EU-U.S. Data Privacy Framework); safeguards: dpf "
            "(`rules/examples/identity/identity.law:30`)") in text
    assert "billing card: 10 years (HGB § 257) (`rules/examples/identity/identity.law:51`)" in text
    assert "| biometric data (`rules/gdpr/special.law:11`) | special.biometric | yes (Art. 9) |" in text
    assert "W1105" in text and "sha256:0000" in text and "keyhole-identity" in text


def test_a_record_without_processor_purposes_has_no_art_30_2_part():
    record = SAMPLE.model_copy(update={"purposes": SAMPLE.controller_purposes})
    for text in (ropa.markdown(record), visible(ropa.html(record)).text):
        assert "Art. 30(2)" not in "".join(text)
    assert "Art. 30(2)" not in xlsx_cells(ropa.xlsx(record))
    assert "Art. 30(2)" not in ods_cells(ropa.ods(record))


def test_an_empty_record_says_what_is_missing_in_every_format():
    text = ropa.markdown(EMPTY)
    assert "No controller is declared in the policy." in text
    assert "The policy processes no purpose as controller." in text
    assert "None: the policy states every item." in text and "(unnamed policy)" in text
    assert "Art. 30(2)" not in text
    assert "No controller is declared in the policy." in "".join(visible(ropa.html(EMPTY)).text)
    cells = xlsx_cells(ropa.xlsx(EMPTY))
    assert list(cells) == ["Policy", "Controller", "Art. 30(1)", "Recipients", "Retention", "Categories", "Gaps"]
    assert cells["Controller"] == {"A1": "Name", "B1": "Role", "C1": "Country", "D1": "Contact",
                                   "E1": "Data protection officer", "F1": "Representative (Art. 27)",
                                   "G1": "Supervisory authority", "H1": "Security measures (Art. 32(1))",
                                   "I1": "Description"}
    assert ods_cells(ropa.ods(EMPTY)) == cells
    jsonschema.validate(json.loads(ropa.json_text(EMPTY)), ropa.json_schema())


def test_processing_for_an_undeclared_client_without_a_controller_is_still_shown():
    record = Record(policy="p", digest="d", purposes=[purpose("sync", on_behalf_of="ghost")])
    cells = xlsx_cells(ropa.xlsx(record))["Art. 30(2)"]
    assert cells["A2"] == "ghost (not declared)"
    assert cells["B2"] == "no controller declared"
    assert cells["F2"] == "sync [p.law:1]"
    assert cells["G2"] == cells["H2"] == cells["J2"] == "not stated in the policy"
    assert cells["I2"] == "none"
    assert "No processor is declared in the policy." in ropa.markdown(record)


def test_a_purpose_on_every_category_without_basis_or_retention_says_so():
    record = Record(policy="p", digest="d", purposes=[purpose("x", all_categories=True, basis="legitimate_interest",
                                                              basis_article="Art. 6(1)(f)")])
    row = xlsx_cells(ropa.xlsx(record))["Art. 30(1)"]
    assert row["H2"] == "every category [p.law:1]"
    assert row["F2"] == "not stated in the policy"  # the legitimate interest
    assert row["K2"] == row["L2"] == row["G2"] == "not stated in the policy"
    assert row["C2"] == "no controller declared"


# --- JSON -------------------------------------------------------------------


def test_the_published_schema_is_the_generated_one(golden):
    golden(SCHEMA, json.dumps(ropa.json_schema(), indent=2, ensure_ascii=False) + "\n")
    schema = json.loads((Path(__file__).parent.parent / SCHEMA).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:lawful:schema:ropa:1" and "Art. 30" in schema["title"]


@pytest.mark.parametrize("record", [SAMPLE, EMPTY, hostile_record()], ids=["sample", "empty", "hostile"])
def test_the_json_validates_against_the_schema_and_reads_back(record):
    document = json.loads(ropa.json_text(record))
    jsonschema.Draft202012Validator(ropa.json_schema()).validate(document)
    assert Record.model_validate_json(ropa.json_text(record)) == record
    assert list(document) == list(Record.model_fields)


def test_the_schema_rejects_a_document_that_is_not_a_record():
    validator = jsonschema.Draft202012Validator(ropa.json_schema())
    document = json.loads(ropa.json_text(SAMPLE))
    document["purposes"][0]["basis"] = 7
    assert not validator.is_valid(document)
    assert not validator.is_valid({**json.loads(ropa.json_text(SAMPLE)), "surprise": 1})
    assert not validator.is_valid({**json.loads(ropa.json_text(SAMPLE)), "schema_version": "2"})


# --- the workbooks ----------------------------------------------------------


def test_the_xlsx_sheets_are_styled_frozen_and_wrapped():
    book = openpyxl.load_workbook(io.BytesIO(ropa.xlsx(SAMPLE)))
    assert book.sheetnames == ["Policy", "Controller", "Art. 30(1)", "Processor", "Art. 30(2)", "Recipients",
                               "Retention", "Categories", "Gaps"]
    sheet = book["Art. 30(1)"]
    assert sheet.freeze_panes == "A2"
    assert [sheet.cell(1, c).value for c in (1, 5, 13)] == ["Purpose", "(b) Lawful basis",
                                                           "Automated decisions (Art. 22)"]
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("DBE4F3")
    assert sheet["A2"].value == "billing [rules/examples/identity/identity.law:40]"
    assert sheet["B3"].value == "fraud_prevention"
    assert sheet["F3"].value == ("Protecting accounts against takeover and credential stuffing "
                                 "[rules/examples/identity/identity.law:43]")
    assert sheet["L2"].value.split("\n") == [
        "TLS 1.3 in transit; AES-256 at rest [rules/examples/identity/identity.law:9]",
        "Staff access with hardware keys and quarterly reviews [rules/examples/identity/identity.law:10]"]
    assert sheet["L2"].alignment.wrap_text and sheet.column_dimensions["L"].width == 40
    assert sheet.max_row == 4  # the header and the three controller purposes
    assert book["Art. 30(2)"]["A2"].value == "Business customers [rules/examples/identity/identity.law:13]"
    assert book.properties.creator == "Lawful" and book.properties.created == datetime(1980, 1, 1)


def test_the_ods_sheets_have_a_header_row_styles_and_frozen_headers():
    document = load(io.BytesIO(ropa.ods(SAMPLE)))
    tables = document.spreadsheet.getElementsByType(Table)
    assert [str(t.getAttribute("name")) for t in tables][:3] == ["Policy", "Controller", "Art. 30(1)"]
    header = tables[2].getElementsByType(TableHeaderRows)[0].getElementsByType(TableCell)
    assert [teletype.extractText(c) for c in header][:2] == ["Purpose", "Name in the policy"]
    assert str(header[0].getAttribute("stylename")) == "header"
    settings = {str(i.getAttribute("name")): teletype.extractText(i)
                for i in document.settings.getElementsByType(ConfigItem)}
    assert settings["VerticalSplitMode"] == "2" and settings["VerticalSplitPosition"] == "1"
    assert ods_cells(ropa.ods(SAMPLE))["Art. 30(1)"]["A2"] == "billing [rules/examples/identity/identity.law:40]"


def test_formula_text_stays_text_in_both_workbooks():
    """A policy string starting with =, +, - or @ is stored as a string and reads
    back as written, never as a formula."""
    record = hostile_record()
    data = ropa.xlsx(record)
    book = openpyxl.load_workbook(io.BytesIO(data))
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    # marked as text, so editing it in a spreadsheet keeps it text
                    assert cell.quotePrefix == cell.value.startswith(("=", "+", "-", "@"))
                    values.append(cell.value)
    for formula in FORMULAS:
        assert f"{formula} [evil|`x`.law:{HOSTILE.index(formula) + 1}]" in "\n".join(values)
    assert any(v.startswith(f"{FORMULAS[0]} [p.law:") for v in values)  # a purpose's name, first in its cell
    for string in HOSTILE:  # non-ASCII and right-to-left text too, as written
        assert f"{string} [evil|`x`.law:{HOSTILE.index(string) + 1}]" in "\n".join(values)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in s or "<f " in s for s in sheets)
    with zipfile.ZipFile(io.BytesIO(ropa.ods(record))) as archive:
        assert "formula" not in archive.read("content.xml").decode()
    assert ods_cells(ropa.ods(record)) == xlsx_cells(data)


def test_the_workbook_bytes_are_deterministic_across_processes():
    """The same record gives the same bytes, whatever ran before in the process
    and whenever it is written: every date in the archive is fixed."""
    code = ("import sys; from pathlib import Path; from engine.records.model import Record; "
            "from engine.records import ropa; r = Record.model_validate_json(Path(sys.argv[1]).read_text()); "
            "sys.stdout.buffer.write(ropa.xlsx(r) + b'|||' + ropa.ods(r))")
    fresh = subprocess.run([sys.executable, "-c", code, str(HERE / "sample_record.json")], capture_output=True,
                           check=True).stdout
    ropa.ods(hostile_record())  # odfpy keeps state between documents
    assert fresh == ropa.xlsx(SAMPLE) + b"|||" + ropa.ods(SAMPLE)
    for data in (ropa.xlsx(SAMPLE), ropa.ods(SAMPLE)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_workbook_date_is_used_only_when_given():
    when = datetime(2026, 12, 2, 10, 30, 4)
    data = ropa.xlsx(SAMPLE, when=when)
    assert openpyxl.load_workbook(io.BytesIO(data)).properties.modified == when
    with zipfile.ZipFile(io.BytesIO(ropa.ods(SAMPLE, when=when))) as archive:
        assert "2026-12-02T10:30:04" in archive.read("meta.xml").decode()
        assert {info.date_time for info in archive.infolist()} == {(2026, 12, 2, 10, 30, 4)}


def test_very_long_and_control_character_strings_fit_a_cell():
    long = "x" * 40000
    record = Record(policy="p", digest="d", purposes=[purpose("a", long), purpose("b", "bell\x07 and \x00nul")])
    for cells in (xlsx_cells(ropa.xlsx(record)), ods_cells(ropa.ods(record))):
        sheet = cells["Art. 30(1)"]
        assert len(sheet["A2"]) == 32767 and sheet["A2"].endswith("x…")
        assert sheet["A3"] == "bell\ufffd and \ufffdnul [p.law:1]"
    assert long in ropa.html(record) and long in ropa.markdown(record)


# --- hostile strings in the documents ----------------------------------------


def test_hostile_strings_are_text_in_the_markdown():
    record = hostile_record()
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(ropa.markdown(record))
    page = visible(rendered)
    assert "script" not in page.tags and "a" not in page.tags and "em" not in page.tags and "s" not in page.tags
    text = "".join(page.text)
    for string in HOSTILE:
        assert string in text
    assert "evil|`x`.law:1" in text  # a source, in a code span
    # every row of the purpose cards still has its two cells: no `|` split one
    for table in rendered.split("<table>")[1:]:
        rows = table.split("</table>")[0].split("<tr>")[1:]
        assert len({row.count("<td") + row.count("<th") for row in rows}) == 1


def test_hostile_strings_are_text_in_the_html():
    page = visible(ropa.html(hostile_record()))
    assert "script" not in page.tags
    text = "".join(page.text)
    for string in HOSTILE:
        assert string in text
    assert "<bdi>שלום עולם</bdi>" in ropa.html(hostile_record())


# --- the HTML page in a real browser ------------------------------------------


def test_the_sample_page_in_a_browser(tmp_path):
    page, png = tmp_path / "ropa.html", tmp_path / "ropa.png"
    page.write_text(ropa.html(SAMPLE), encoding="utf-8")
    text = render(page, png)
    assert "Keyhole Identity GmbH" in text and "Record of processing activities (GDPR Art. 30)" in text
    for purpose_ in SAMPLE.purposes:
        assert purpose_.label in text
    assert "Art. 30(2)" in text
    assert "Protecting accounts against takeover" in text and "rules/examples/identity/identity.law:43" in text
    width, height = png_size(png)
    assert width == 1200 and 2000 < height < 16000
    assert len(png.read_bytes()) > 50_000  # a page of tables, not a blank image
    tables = page_elements(page, "table")
    assert len(tables) == 11 and all(0 < t["width"] <= 1200 for t in tables)  # no table overflows the page


def test_a_page_without_processor_purposes_in_a_browser(tmp_path):
    page, png = tmp_path / "ropa.html", tmp_path / "ropa.png"
    page.write_text(ropa.html(SAMPLE.model_copy(update={"purposes": SAMPLE.controller_purposes})), encoding="utf-8")
    text = render(page, png)
    assert "Art. 30(1)" in text and "Art. 30(2)" not in text and "fraud prevention" in text


def test_a_hostile_page_in_a_browser_shows_the_strings_and_runs_nothing(tmp_path):
    page, png = tmp_path / "ropa.html", tmp_path / "ropa.png"
    page.write_text(ropa.html(hostile_record()), encoding="utf-8")
    text = render(page, png)  # an alert() would fail the script call render makes
    for string in HOSTILE:
        assert string in text
    assert png_size(png)[0] == 1200


def test_the_data_map_is_embedded_inline(tmp_path):
    map_ = graphviz.Digraph("map")
    map_.edge("billing", "Stripe, Inc. <US>")
    svg = map_.pipe(format="svg", encoding="utf-8")
    assert svg.startswith("<?xml") and "<!DOCTYPE svg" in svg
    markup = ropa.html(SAMPLE, map_svg=svg)
    assert "<?xml" not in markup and "<!DOCTYPE svg" not in markup and "<svg" in markup
    assert "http" not in markup.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', "")  # no external resource
    page = tmp_path / "ropa.html"
    page.write_text(markup, encoding="utf-8")
    assert "Data map" in render(page, tmp_path / "ropa.png")
    [drawing] = page_elements(page, "#data-map svg")
    assert drawing["width"] > 100 and drawing["height"] > 100
    assert "Stripe, Inc. &lt;US&gt;" in markup


@pytest.mark.parametrize("svg", ["not a drawing", "<html><body/></html>", "<svg>unclosed",
                                 '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                                 '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                                 '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
                                 '<a x:href="javascript:alert(1)"/></svg>'])
def test_a_data_map_that_is_not_a_plain_svg_is_refused(svg):
    with pytest.raises(ValueError, match="data map"):
        ropa.html(SAMPLE, map_svg=svg)


def test_every_renderer_is_deterministic():
    record = hostile_record()
    for render_ in (ropa.markdown, ropa.html, ropa.json_text, ropa.xlsx, ropa.ods):
        assert render_(record) == render_(record)  # type: ignore[operator]
