"""The Art. 13/14 privacy notice (engine/records/notice.py): goldens of the sample
identity provider, every statement's note resolving to a declaration of the Record,
the HTML as a real browser shows it, missing items said explicitly, and hostile
policy strings shown literally in both formats."""

from __future__ import annotations

import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from engine.records import notice
from engine.records.model import (Category, CategoryUse, Gap, Party, Purpose, Recipient, Record, Retention, Source,
                                  Text, Transfer)
from engine.records.rights import NAMES, provision_for, rights_for

RECORDS = Path("tests/records")
SAMPLE = Record.model_validate_json((RECORDS / "sample_record.json").read_text(encoding="utf-8"))
F = "rules/x/policy.law"


def src(line: int) -> Source:
    return Source(file=F, line=line)


def purpose(id: str, basis: str | None = "contract", line: int = 10, **kw) -> Purpose:
    automated = kw.get("automated") is not None
    kw.setdefault("provision", Text(text=provision_for(basis)))
    return Purpose(id=id, label=kw.pop("label", id.replace("_", " ")), basis=basis,
                   basis_article={"contract": "Art. 6(1)(b)", "consent": "Art. 6(1)(a)",
                                  "legitimate_interest": "Art. 6(1)(f)"}.get(basis or "", ""),
                   basis_source=src(line) if basis else None, rights=rights_for(basis, automated),
                   source=src(line), **kw)


def sources_of(value) -> set[str]:
    """Every `file:line` the Record states, wherever it is."""
    found: set[str] = set()
    if isinstance(value, dict):
        if set(value) == {"file", "line"}:
            found.add(f"{value['file']}:{value['line']}")
        for v in value.values():
            found |= sources_of(v)
    elif isinstance(value, list):
        for v in value:
            found |= sources_of(v)
    return found


def unescape_md(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def md_to_html(text: str) -> str:
    return MarkdownIt("commonmark").use(footnote_plugin).render(text)


class _Page(HTMLParser):
    """Tags, ids, links and text of an HTML page, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if "href" in attributes:
            self.hrefs.append(attributes["href"])

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def section(text: str, heading: str) -> str:
    """The Markdown section whose `## ` heading starts with `heading`."""
    return text.split("\n## " + heading)[1].split("\n## ")[0]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# ---- the sample ----------------------------------------------------------------------------------

def test_markdown_golden(golden):
    golden(RECORDS / "notice/sample.md", notice.markdown(SAMPLE))


def test_html_golden(golden):
    golden(RECORDS / "notice/sample.html", notice.html(SAMPLE))


def test_output_is_deterministic_across_a_json_round_trip():
    again = Record.model_validate_json(SAMPLE.model_dump_json())
    assert notice.markdown(again) == notice.markdown(SAMPLE)
    assert notice.html(again) == notice.html(SAMPLE)


def test_the_notice_is_marked_as_a_draft_at_the_top():
    assert notice.markdown(SAMPLE).split("\n\n")[1].startswith("> DRAFT.")
    assert '<p class="note">DRAFT.' in notice.html(SAMPLE).split("</h1>")[1][:40]


def test_every_footnote_is_defined_once_and_cites_a_declaration_of_the_record():
    text = notice.markdown(SAMPLE)
    definitions = dict(re.findall(r"^\[\^(\d+)\]: (.+)$", text, flags=re.M))
    references = set(re.findall(r"\[\^(\d+)\](?!:)", text))
    assert references and references == set(definitions)
    assert sorted(map(int, definitions)) == list(range(1, len(definitions) + 1))
    cited = {unescape_md(d) for d in definitions.values()}
    assert cited <= sources_of(SAMPLE.model_dump())
    assert len(cited) == len(definitions)  # one number per source


def test_markdown_footnotes_render_as_footnotes():
    rendered = md_to_html(notice.markdown(SAMPLE))
    definitions = len(re.findall(r"^\[\^\d+\]: ", notice.markdown(SAMPLE), flags=re.M))
    assert rendered.count('<li id="fn') == definitions
    assert "[^" not in rendered


def test_every_html_note_links_to_an_anchored_source_and_cites_as_the_markdown_does():
    page = notice.html(SAMPLE)
    parsed = parse(page)
    links = {h[1:] for h in parsed.hrefs if h.startswith("#src-")}
    anchors = [i for i in parsed.ids if i.startswith("src-")]
    assert links == set(anchors) and len(anchors) == len(set(anchors))
    html_sources = re.findall(r'<li id="src-\d+"><code>([^<]+)</code></li>', page)
    md_sources = [unescape_md(d) for d in re.findall(r"^\[\^\d+\]: (.+)$", notice.markdown(SAMPLE), flags=re.M)]
    assert html_sources == md_sources
    assert re.search(r'<sup><a href="#src-1">1</a></sup>', page)


def test_html_is_self_contained():
    page = notice.html(SAMPLE)
    parsed = parse(page)
    assert "style" in parsed.tags and "script" not in parsed.tags and "link" not in parsed.tags
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_every_arts_13_and_14_item_has_its_section():
    text = notice.markdown(SAMPLE)
    for article in ("13(1)(a)", "13(1)(b)", "13(1)(c)", "13(1)(d)", "13(1)(e)", "13(1)(f)", "13(2)(a)",
                    "13(2)(b)", "13(2)(c)", "13(2)(d)", "13(2)(e)", "13(2)(f)", "14(1)(d)", "14(2)(f)"):
        assert re.search(rf"^## .*Art\. [^)]*{re.escape(article)}", text, flags=re.M) or \
            re.search(rf"^## .*{re.escape(article)}", text, flags=re.M), article


def test_the_sample_states_what_its_policy_declares():
    text = unescape_md(notice.markdown(SAMPLE))
    assert "The controller is **Keyhole Identity GmbH**, Germany." in text
    assert "Dr. Jana Richter, dpo@keyhole.example" in text
    assert "Protecting accounts against takeover and credential stuffing" in text
    assert "IP reputation feed of Spamhaus Project" in text
    assert "billing card: 10 years (HGB § 257)." in text
    assert "Our lead supervisory authority is Berliner Beauftragte für Datenschutz" in text
    assert "protected by EU-U.S. Data Privacy Framework certification" in text
    assert "A risk score from IP reputation and device signals" in text
    assert "data subjects of `analytics`: the purpose states no kinds of data subject (W1105)." in text


def test_a_purpose_for_a_client_is_the_clients_processing_not_ours():
    text = notice.markdown(SAMPLE)
    ours = section(text, "What we process")
    assert "login" not in ours and "billing" in ours
    theirs = section(text, "Processing we do for others as a processor")
    assert "For **login**" in theirs and "**Business customers**" in theirs
    assert "is the controller: its own privacy notice applies" in theirs
    recipients = section(text, "Who receives your data")
    assert "login" not in recipients  # Hetzner is listed for our purposes only


def test_a_right_missing_from_the_record_is_derived_from_the_basis():
    # the sample's fraud_prevention declares automated decisions but its rights omit Art. 22
    text = notice.markdown(SAMPLE)
    automated = section(text, "Automated decisions")
    assert "You have the right not to be subject to a decision based solely on automated processing" in automated


def test_the_browser_shows_every_right_the_controller_and_each_purpose(tmp_path):
    from browser import render

    page = tmp_path / "notice.html"
    page.write_text(notice.html(SAMPLE), encoding="utf-8")
    shown = render(page, tmp_path / "notice.png")
    for right in ("access", "rectification", "erasure", "restriction", "objection", "portability",
                  "withdrawal", "complaint"):
        assert NAMES[right] in shown, right
    assert "Privacy notice (draft): Keyhole Identity GmbH" in shown
    for p in SAMPLE.purposes:
        assert p.label in shown
    assert "DRAFT." in shown and "rules/examples/identity/identity.law:40" in shown
    assert "<" not in shown  # no markup shown as text
    width, height = png_size(tmp_path / "notice.png")
    assert width == 1200 and 2000 < height < 16000


# ---- missing items -------------------------------------------------------------------------------

def test_an_empty_record_says_every_item_is_missing():
    empty = Record(policy=None, digest="sha256:0")
    text = notice.markdown(empty)
    assert text.startswith("# Privacy notice (draft): the controller\n")
    assert "Not stated: the policy declares no controller." in text
    assert "Not stated: the policy names no data protection officer." in text
    assert "Not stated: the policy declares no purpose" in text
    assert "No recipient is declared" in text
    assert "declares no transfer" in text
    assert "no purpose relies on your consent" in text
    assert "No purpose relies on legitimate interests" in text
    assert "Our lead supervisory authority: not stated." in text
    assert "The policy's checks report no missing item." in text
    assert "[^" not in text  # nothing to cite
    assert "<sup>" not in notice.html(empty)


def test_a_controller_without_dpo_contact_authority_or_retention_says_so_citing_its_declaration():
    record = Record(policy="p", digest="d", controller=Party(id="c", label="C", source=src(1)),
                    purposes=[purpose("shipping", line=5)])
    text = notice.markdown(record)
    assert "Contact details: not stated. They must be added.[^1]" in text
    assert "Not stated: the policy names no data protection officer. If one is designated (Art. 37)" in text
    assert "- **shipping**\n  - Not stated. The period, or the criteria used to set it, must be added.[^2]" in text
    assert "Whom it concerns: not stated.[^2]" in text
    assert "[^1]: rules/x/policy\\.law:1" not in text and "[^1]: rules/x/policy.law:1" in text


def test_a_purpose_without_basis_or_interest_says_what_to_add():
    record = Record(policy="p", digest="d", purposes=[
        purpose("tracking", basis=None, line=3), purpose("security", basis="legitimate_interest", line=4)])
    text = notice.markdown(record)
    assert "Legal basis: not stated. Every purpose needs one (Art. 6(1)); it must be added.[^1]" in text
    assert "**security**: not stated. The legitimate interest pursued must be added.[^2]" in text
    assert "states no legal basis for this purpose" in text


def test_direct_marketing_gets_the_unconditional_objection():
    record = Record(policy="p", digest="d", purposes=[
        purpose("newsletter", basis="consent", parents=["direct_marketing"])])
    text = notice.markdown(record)
    assert "**newsletter**[^1] is direct marketing: you can object to it at any time" in text


def test_recipients_transfers_and_categories_of_controller_purposes():
    record = Record(
        policy="p", digest="d",
        categories=[Category(id="health.notes", label="health notes", special=True, source=src(2),
                             sources=[Text(text="your GP", source=src(3))])],
        recipients=[Recipient(id="lab", label="Lab Ltd", role="controller", country="IN", country_name="India",
                              purposes=["care"], transfer=Transfer(to="lab", country="IN", country_name="India",
                                                                   mechanism="none", article="", source=src(4)),
                              source=src(4)),
                    Recipient(id="ch", label="Swiss AG", role="joint_controller", country="CH",
                              country_name="Switzerland", purposes=["care"],
                              transfer=Transfer(to="ch", country="CH", country_name="Switzerland",
                                                mechanism="adequacy", article="Art. 45", source=src(5)),
                              source=src(5))],
        purposes=[purpose("care", special=True, recipients=["lab", "ch"],
                          categories=[CategoryUse(category="health.notes", rule="r", conditional=False,
                                                  source=src(7))])])
    text = unescape_md(notice.markdown(record))
    text = re.sub(r"\[\^\d+\]", "[^n]", text)
    assert "**Lab Ltd**[^n] (India): an independent controller, for care." in text
    assert "**Swiss AG**[^n] (Switzerland): a joint controller with us (Art. 26), for care." in text
    assert "**Lab Ltd** (India): no adequacy decision and no safeguard is stated." in text
    assert "**Swiss AG** (Switzerland): the European Commission has decided" in text
    assert "**care**: health notes (a special category, Art. 9)[^n]." in text
    assert "The exception of Art. 9(2) relied on must be stated here." in text
    assert "**health notes**: your GP[^n]." in text


def test_a_recipient_only_a_clients_purpose_uses_is_not_in_our_notice():
    record = Record(policy="p", digest="d", clients=[Party(id="t", label="Tenant", source=src(1))],
                    recipients=[Recipient(id="x", label="Only For Tenant", role="processor", country="DE",
                                          country_name="Germany", purposes=["hosted"], source=src(2))],
                    purposes=[purpose("hosted", on_behalf_of="t", recipients=["x"], line=3)])
    text = notice.markdown(record)
    assert "Only For Tenant" not in text and "No recipient is declared" in text
    assert "For **hosted**[^" in text and "**Tenant**[^" in text


# ---- hostile strings -----------------------------------------------------------------------------

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "amp": "Smith & Sons \"Ltd\" | *bold* _it_ `code` ~x~",
    "backslash": "C:\\policy\\ends with \\",
    "german": "Straße 5, Köln",
    "rtl": "شركة البيانات",
    "formula": '=HYPERLINK("x")',
    "plus": "+1",
    "at": "@SUM(A1)",
    "heading": "# not a heading",
    "list": "- not a list",
    "ordered": "1. not a list",
    "footnote": "[^1] not a note",
    "link": "[click](javascript:alert(1))",
    "entity": "&amp; &lt;b&gt;",
    "long": "x" * 3000,
}


def hostile_record() -> Record:
    h = HOSTILE
    return Record(
        policy=h["script"], digest=h["amp"],
        files=[h["backslash"]],
        controller=Party(id="c", label=h["script"], country_name=h["german"],
                         contact=[Text(text=h[k], source=Source(file=h["backslash"], line=i))
                                  for i, k in enumerate(HOSTILE, 1)],
                         dpo=[Text(text=h["rtl"], source=src(90))], authority=Text(text=h["amp"], source=src(91)),
                         description=Text(text=h["formula"], source=src(92)), source=src(93)),
        categories=[Category(id="c1", label=h["heading"], sources=[Text(text=h["list"], source=src(94))],
                             source=src(94))],
        purposes=[purpose("p1", basis="legitimate_interest", label=h["formula"], line=95,
                          interest=Text(text=h["plus"], source=src(96)),
                          subjects=[Text(text=h["at"], source=src(95))],
                          categories=[CategoryUse(category="c1", rule=h["ordered"], conditional=True,
                                                  source=src(97))],
                          retention=[Retention(categories=[], duration=h["footnote"], days=1, because=h["link"],
                                               cite=h["entity"], source=src(98))])],
        gaps=[Gap(code="W1101", item=h["long"], message=h["rtl"], source=src(99))])


def test_hostile_strings_are_literal_text_in_html():
    page = notice.html(hostile_record())
    parsed = parse(page)
    assert "script" not in parsed.tags
    assert all(h.startswith("#src-") for h in parsed.hrefs)  # no link but the notes
    shown = "".join(parsed.text)
    for value in HOSTILE.values():
        assert value in shown, value


def test_hostile_strings_are_literal_text_in_markdown():
    text = notice.markdown(hostile_record())
    rendered = md_to_html(text)
    parsed = parse(rendered)
    assert "script" not in parsed.tags
    assert not [h for h in parsed.hrefs if not h.startswith("#fn")]  # only footnote links
    assert parsed.tags.count("h1") == 1 and parsed.tags.count("ol") == 1  # the footnotes' list only
    assert parsed.tags.count("h2") == len(notice.document(hostile_record()).sections) + 1
    shown = "".join(parsed.text)
    for value in HOSTILE.values():
        assert value in shown, value


def test_hostile_sources_are_cited_exactly():
    text = notice.markdown(hostile_record())
    cited = {unescape_md(d) for d in re.findall(r"^\[\^\d+\]: (.+)$", text, flags=re.M)}
    assert f"{HOSTILE['backslash']}:1" in cited
    assert cited <= sources_of(hostile_record().model_dump())


def test_hostile_strings_in_the_browser_wrap_and_show_as_written(tmp_path):
    from browser import page_elements, render

    page = tmp_path / "hostile.html"
    page.write_text(notice.html(hostile_record()), encoding="utf-8")
    shown = render(page, tmp_path / "hostile.png")
    for key in ("script", "german", "rtl", "formula", "backslash", "entity", "heading"):
        assert HOSTILE[key] in shown, key
    assert HOSTILE["long"] in shown.replace("\n", "")
    width, _ = png_size(tmp_path / "hostile.png")
    assert width == 1200
    widest = max(e["width"] for e in page_elements(page, "main, main *"))
    assert widest <= 1200  # the 3000-character word wraps instead of widening the page


@pytest.mark.parametrize("render", [notice.markdown, notice.html])
def test_a_line_break_in_a_string_cannot_start_a_block(render):
    record = Record(policy="p", digest="d", controller=Party(id="c", label="A\n# B\r\n<i>", source=src(1)))
    out = render(record)
    assert "\n# B" not in out and "<i>" not in out


# ---- the document writers ------------------------------------------------------------------------

def test_one_source_keeps_its_number_and_adjacent_notes_are_comma_separated():
    from engine.records import prose

    a, b = src(1), src(2)
    doc = prose.Document(title="T", lead=(prose.Para(("x", prose.Ref(a), prose.Ref(b), " y", prose.Ref(a),
                                                      prose.Ref(None))),), sections=())
    assert "x[^1][^2] y[^1]\n" in prose.markdown(doc)
    assert prose.markdown(doc).endswith("[^1]: rules/x/policy.law:1\n\n[^2]: rules/x/policy.law:2\n")
    page = prose.html(doc)
    assert ('x<sup><a href="#src-1">1</a></sup><sup>,</sup><sup><a href="#src-2">2</a></sup> y'
            '<sup><a href="#src-1">1</a></sup></p>') in page
    assert page.count('<li id="src-') == 2
