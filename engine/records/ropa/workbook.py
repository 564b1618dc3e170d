"""The Art. 30 record as a workbook, XLSX (openpyxl) and ODS (odfpy): the same
sheets, cells and text in both (`lawful ropa --format xlsx|ods`).

One sheet per table of `content.tables`: a styled header row that stays frozen
(and repeats when printed), wrapped text, widths per column. A cell holds its
statements one a line, each followed by its source `[file:line]`.

Every cell is stored as text, never as a formula: a policy string such as
`=HYPERLINK(…)`, `+1` or `@SUM(A1)` is shown as written (and marked with a quote
prefix, so editing it in a spreadsheet does not make it one either).

The bytes are deterministic: the document's dates are `when` (fixed by default)
and every ZIP entry carries that date, not the time of writing."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from odf import teletype
from odf.config import ConfigItem, ConfigItemMapEntry, ConfigItemMapIndexed, ConfigItemMapNamed, ConfigItemSet
from odf.dc import Creator, Date, Title
from odf.element import Element
from odf.meta import CreationDate
from odf.namespaces import nsdict
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import ParagraphProperties, Style, TableCellProperties, TableColumnProperties, TextProperties
from odf.table import Table as OdfTable
from odf.table import TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import P
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..model import Record
from .content import Cell, Table, tables
from .markdown import TITLE

#: the date of a workbook when none is given (the earliest a ZIP entry can carry)
EPOCH = datetime(1980, 1, 1)
#: the most characters a spreadsheet cell holds (Excel's limit)
CELL_LIMIT = 32767
#: how a formula starts: a text cell starting so gets a quote prefix
FORMULA_START = ("=", "+", "-", "@")
HEADER_FILL = "DBE4F3"


def cell_lines(cell: Cell) -> list[str]:
    """A cell's statements as the lines of its text."""
    return [_printable(item.text + (f" [{item.source}]" if item.source else "")) for item in cell]


def cell_text(cell: Cell) -> str:
    """A cell's text, cut to what a spreadsheet cell holds."""
    text = "\n".join(cell_lines(cell))
    return text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…"


def _printable(text: str) -> str:
    """Control characters (which XML cannot hold) shown as U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def _title(record: Record) -> str:
    return _printable(TITLE + (f": {record.policy}" if record.policy else ""))


# --- XLSX -----------------------------------------------------------------


def xlsx(record: Record, *, when: datetime | None = None) -> bytes:
    """The record as an Office Open XML workbook."""
    when = when or EPOCH
    book = Workbook()
    book.remove(book.worksheets[0])  # the empty sheet a new workbook has
    book.properties.creator = "Lawful"
    book.properties.title = _title(record)
    book.properties.created = book.properties.modified = when
    for table in tables(record):
        _xlsx_sheet(book.create_sheet(table.sheet), table)
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which stamps the time of writing
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return _dated(buffer.getvalue(), when)


def _xlsx_sheet(sheet: Worksheet, table: Table) -> None:
    side = Side(style="thin", color="B7C3D7")
    border = Border(left=side, right=side, top=side, bottom=side)
    wrap = Alignment(wrap_text=True, vertical="top")
    header = [_text(sheet, 1, number, _printable(c.header)) for number, c in enumerate(table.columns, 1)]
    for number, (cell, column) in enumerate(zip(header, table.columns), 1):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    rows = [[_text(sheet, index, number, cell_text(content)) for number, content in enumerate(row, 1)]
            for index, row in enumerate(table.rows, 2)]
    for row in [header] + rows:
        for cell in row:
            cell.alignment, cell.border = wrap, border
        sheet.append(row)
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"


def _text(sheet: Worksheet, row: int, column: int, text: str) -> SheetCell:
    """A cell that stores text as text: openpyxl makes a formula of any str
    starting with `=` unless told otherwise."""
    cell = SheetCell(sheet, row=row, column=column)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


# --- ODS ------------------------------------------------------------------


def ods(record: Record, *, when: datetime | None = None) -> bytes:
    """The record as an OpenDocument spreadsheet."""
    when = when or EPOCH
    document = OpenDocumentSpreadsheet()
    document.meta.addElement(Title(text=_title(record)))
    document.meta.addElement(Creator(text="Lawful"))
    document.meta.addElement(CreationDate(text=when.isoformat()))
    document.meta.addElement(Date(text=when.isoformat()))
    header, body = _ods_cell_styles(document)
    widths: dict[int, Style] = {}
    sheets = tables(record)
    for table in sheets:
        sheet = OdfTable(name=table.sheet)
        for column in table.columns:
            if column.width not in widths:
                widths[column.width] = Style(name=f"co{column.width}", family="table-column")
                widths[column.width].addElement(TableColumnProperties(columnwidth=f"{column.width * 0.19:.2f}cm"))
                document.automaticstyles.addElement(widths[column.width])
            sheet.addElement(TableColumn(stylename=widths[column.width], defaultcellstylename=body))
        headers = TableHeaderRows()
        headers.addElement(_ods_row([[_printable(c.header)] for c in table.columns], header))
        sheet.addElement(headers)
        for row in table.rows:
            sheet.addElement(_ods_row([_lines(cell) for cell in row], body))
        document.spreadsheet.addElement(sheet)
    document.settings.addElement(_frozen_headers([t.sheet for t in sheets]))
    _every_namespace()
    buffer = io.BytesIO()
    document.write(buffer)
    return _dated(buffer.getvalue(), when)


def _every_namespace() -> None:
    """odfpy declares on each document the namespaces that any element made so
    far in the process has used, in order of first use (one dict shared by all
    elements): declaring every namespace it knows, in a fixed order, makes the
    bytes independent of what ran before."""
    Element.namespaces.clear()
    Element.namespaces.update(sorted(nsdict.items(), key=lambda item: item[1]))


def _lines(cell: Cell) -> list[str]:
    """The lines of a cell as the XLSX cell holds them (cut the same way)."""
    return cell_text(cell).split("\n") if cell else []


def _ods_cell_styles(document: OpenDocumentSpreadsheet) -> tuple[Style, Style]:
    header = Style(name="header", family="table-cell")
    header.addElement(TableCellProperties(wrapoption="wrap", verticalalign="top", backgroundcolor="#" + HEADER_FILL,
                                          border="0.5pt solid #b7c3d7"))
    header.addElement(TextProperties(fontweight="bold"))
    body = Style(name="body", family="table-cell")
    body.addElement(TableCellProperties(wrapoption="wrap", verticalalign="top", border="0.5pt solid #b7c3d7"))
    body.addElement(ParagraphProperties(textalign="start"))
    for style in (header, body):
        document.automaticstyles.addElement(style)
    return header, body


def _ods_row(cells: list[list[str]], style: Style) -> TableRow:
    row = TableRow()
    for lines in cells:
        # a string cell with no formula: the text is never evaluated
        cell = TableCell(valuetype="string", stylename=style)
        for line in lines:
            paragraph = P()
            teletype.addTextToElement(paragraph, line)
            cell.addElement(paragraph)
        row.addElement(cell)
    return row


def _frozen_headers(names: list[str]) -> ConfigItemSet:
    """LibreOffice's view settings that freeze the first row of every sheet."""
    view = ConfigItemMapEntry()
    view.addElement(ConfigItem(name="ViewId", type="string", text="view1"))
    sheets = ConfigItemMapNamed(name="Tables")
    for name in names:
        entry = ConfigItemMapEntry(name=name)
        for key, kind, value in (("HorizontalSplitMode", "short", "0"), ("VerticalSplitMode", "short", "2"),
                                 ("VerticalSplitPosition", "int", "1"), ("ActiveSplitRange", "short", "2"),
                                 ("PositionTop", "int", "0"), ("PositionBottom", "int", "1")):
            entry.addElement(ConfigItem(name=key, type=kind, text=value))
        sheets.addElement(entry)
    view.addElement(sheets)
    views = ConfigItemMapIndexed(name="Views")
    views.addElement(view)
    settings = ConfigItemSet(name="ooo:view-settings")
    settings.addElement(views)
    return settings


# --- deterministic archives -----------------------------------------------


def _dated(archive: bytes, when: datetime) -> bytes:
    """The ZIP archive with every entry dated `when`, in the same order and
    compression (an ODS file's first entry, `mimetype`, stays stored)."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    source, buffer = zipfile.ZipFile(io.BytesIO(archive)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            target.writestr(entry, source.read(info))
    return buffer.getvalue()
