"""The audit document's schema (grader/schemas/audit.schema.json) and its text and HTML reports (grader/auditreport.py, grader/auditpage.py)."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

import grader
from grader import auditpage, auditreport

SCHEMA_PATH = Path(grader.__file__).resolve().parent / "schemas" / "audit.schema.json"
ANSI = "\x1b["

# A diff that would break the page if it were not escaped.
NASTY_DIFF = (
    "--- a/layers.py\n"
    "+++ b/layers.py\n"
    "@@ -40,3 +40,3 @@ def relu_backward(dout, x):\n"
    "-    mask = (x > 0) & (x < LIMIT)\n"
    "+    mask = (x > 0) & (x <= LIMIT)\n"
    "     return dout * mask  # </pre><script>alert('x')</script>\n"
)


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text("utf-8"))


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())


def mutant(id, function, *, status, expected, lost, line=10, diff="", description=None, detail=""):
    return {"id": id, "function": function, "operator": "aor", "description": description or f"change {id}",
            "line": line, "diff": diff or f"--- a/layers.py\n+++ b/layers.py\n@@ -{line} +{line} @@\n-a + b\n+a - b\n",
            "status": status, "seed": 1000 + line, "lost": lost, "expected": expected,
            "only_own": set(lost) <= set(expected), "detail": detail}


def sample() -> dict:
    """3 items, 6 mutants (killed, equivalent, survived, collateral, unjudged, killed in two items),
    2 variants (one rejected by backward), 2 mistakes (one not ok), a tolerance row of each verdict."""
    return {
        "schema_version": 1,
        "assignment": "layers",
        "grader_version": "1.4.0", "inputs_sha256": "ab" * 32,
        "seed": 1234,
        "created": "2026-03-01T12:00:00Z",
        "thresholds": {"min_recall": 0.95, "min_precision": 1.0, "min_mutants": 4},
        "summary": {"mutants": 6, "equivalent": 1, "killed": 3, "survived": 1, "unjudged": 1,
                    "variants": 2, "mistakes": 2, "recall": 0.75, "precision": 0.5, "passed": False,
                    "line": "audit FAILED: recall 75% (3/4), precision 50% (1/2), 1 of 2 mistakes wrong",
                    "seconds": 12.34},
        "items": [
            {"id": "forward", "points": 10, "mutants": 2, "killed": 2, "recall": 1.0,
             "variants": 2, "accepted": 2, "precision": 1.0, "mistakes": 1, "mistakes_caught": 1,
             "survivors": [], "rejected": [], "passed": True, "problems": []},
            {"id": "backward", "points": 15, "mutants": 3, "killed": 2, "recall": 2 / 3,
             "variants": 2, "accepted": 1, "precision": 0.5, "mistakes": 2, "mistakes_caught": 1,
             "survivors": ["relu_backward:ror:1"],
             "rejected": [{"variant": "float32_cast",
                           "message": "dx: 3 of 12 entries differ; worst at [0, 2]: expected 0.5, got 0.5000001 "
                                      "(relative error 2.1e-07, tolerance 1e-07)\n    likely cause: rounding"}],
             "passed": False,
             "problems": ["recall 67% < 95%", "precision 50% < 100%", "mistake forgot_bias_sum not caught"]},
            {"id": "unchanged", "points": 5, "mutants": 0, "killed": 0, "recall": None,
             "variants": 2, "accepted": 2, "precision": 1.0, "mistakes": 0, "mistakes_caught": 0,
             "survivors": [], "rejected": [], "passed": True, "problems": []},
        ],
        "mutants": [
            mutant("linear_forward:aor:1", "linear_forward", status="killed",
                   expected=["forward"], lost=["forward"], line=12),
            mutant("linear_forward:aor:2", "linear_forward", status="equivalent",
                   expected=[], lost=[], line=13, detail="agrees with variant einsum"),
            mutant("relu_backward:ror:1", "relu_backward", status="survived", expected=["backward"], lost=[],
                   line=41, diff=NASTY_DIFF, description="x < LIMIT -> x <= LIMIT"),
            mutant("relu_backward:aor:2", "relu_backward", status="killed",
                   expected=["backward"], lost=["backward", "unchanged"], line=42),
            mutant("relu_backward:svr:3", "relu_backward", status="unjudged", expected=["backward"], lost=[],
                   line=43, detail="worker crashed: MemoryError"),
            mutant("linear_forward:aor:4", "linear_forward", status="killed",
                   expected=["forward", "backward"], lost=["forward", "backward"], line=14),
        ],
        "variants": [
            {"name": "einsum", "score": 30, "max_score": 30, "lost": [], "messages": {}},
            {"name": "float32_cast", "score": 15, "max_score": 30, "lost": ["backward"],
             "messages": {"backward": "dx: 3 of 12 entries differ"}},
        ],
        "mistakes": [
            {"name": "transposed_weight", "expected": ["forward", "backward"], "lost": ["forward", "backward"],
             "ok": True, "detail": ""},
            {"name": "forgot_bias_sum", "expected": ["backward"], "lost": [], "ok": False,
             "detail": "backward was not lost: db is not checked"},
        ],
        "tolerances": [
            {"test": "test_linear.py::test_forward", "check": "out", "rtol": 1e-6, "noise": 1e-14,
             "nearest_bug": 0.5, "verdict": "ok", "note": ""},
            {"test": "test_linear.py::test_backward", "check": "dx", "rtol": 1e-7, "noise": 3e-8,
             "nearest_bug": 0.2, "verdict": "tight", "note": "suggest rtol 1e-5"},
            {"test": "test_relu.py::test_backward", "check": "dx", "rtol": 1e-2, "noise": 1e-15,
             "nearest_bug": 0.05, "verdict": "loose", "note": ""},
            {"test": "test_linear.py::test_unchanged", "check": "x", "rtol": 1e-6, "noise": None,
             "nearest_bug": None, "verdict": "unmeasured", "note": ""},
        ],
        "warnings": ["no mutation operator applies to softmax"],
    }


def empty() -> dict:
    return {
        "schema_version": 1, "assignment": "empty", "grader_version": "1.4.0", "inputs_sha256": "0" * 64, "seed": 0,
        "created": "2026-03-01T12:00:00Z",
        "thresholds": {"min_recall": 0.95, "min_precision": 1.0, "min_mutants": 0},
        "summary": {"mutants": 0, "equivalent": 0, "killed": 0, "survived": 0, "unjudged": 0, "variants": 0,
                    "mistakes": 0, "recall": None, "precision": None, "passed": True,
                    "line": "audit passed: nothing to audit", "seconds": 0},
        "items": [], "mutants": [], "variants": [], "mistakes": [], "tolerances": [], "warnings": [],
    }


# ---------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------

def test_schema_is_a_valid_draft_2020_12_schema_with_its_id():
    document = schema()
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$id"] == "https://nngrade.example/schemas/audit.schema.json"
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["title"] and document["description"]
    assert document["properties"]["schema_version"] == {"const": 1, "description": document["properties"]
                                                        ["schema_version"]["description"]}


@pytest.mark.parametrize("document", [sample(), empty()], ids=["sample", "empty"])
def test_sample_and_empty_documents_validate(document):
    assert list(validator().iter_errors(document)) == []


def _walk(node, path=""):
    """Every (path, subschema) of the schema."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def test_every_schema_property_has_a_description():
    undescribed = [f"{path}/properties/{name}" for path, node in _walk(schema())
                   if isinstance(node.get("properties"), dict)
                   for name, sub in node["properties"].items() if not sub.get("description")]
    assert undescribed == []


def test_every_schema_object_is_closed():
    open_objects = [path or "/" for path, node in _walk(schema())
                    if node.get("type") == "object" and "additionalProperties" not in node]
    assert open_objects == []
    closed_with_properties = [path for path, node in _walk(schema()) if "properties" in node]
    assert all(node.get("additionalProperties") is False
               for path, node in _walk(schema()) if "properties" in node), closed_with_properties


def _errors(document) -> list[str]:
    return [e.message for e in validator().iter_errors(document)]


@pytest.mark.parametrize("where", ["top", "summary", "thresholds", "item", "mutant", "variant", "mistake",
                                   "tolerance", "rejected"])
def test_schema_rejects_an_unknown_property_anywhere(where):
    document = sample()
    target = {"top": document, "summary": document["summary"], "thresholds": document["thresholds"],
              "item": document["items"][0], "mutant": document["mutants"][0],
              "variant": document["variants"][0], "mistake": document["mistakes"][0],
              "tolerance": document["tolerances"][0], "rejected": document["items"][1]["rejected"][0]}[where]
    target["surprise"] = 1
    assert any("surprise" in message for message in _errors(document))


def test_schema_rejects_a_bad_mutant_status_and_a_bad_verdict():
    document = sample()
    document["mutants"][0]["status"] = "dead"
    assert _errors(document)
    document = sample()
    document["tolerances"][0]["verdict"] = "fine"
    assert _errors(document)


@pytest.mark.parametrize("path", [("summary", "line"), ("mutants", 0, "expected"), ("items", 1, "recall"),
                                  ("tolerances", 3, "noise"), ("seed",)])
def test_schema_rejects_a_missing_required_field(path):
    document = sample()
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    assert any(repr(path[-1]) in message and "required" in message for message in _errors(document))


@pytest.mark.parametrize("change", [
    lambda d: d.__setitem__("schema_version", 2),
    lambda d: d["items"][0].__setitem__("recall", 1.5),
    lambda d: d["mutants"][0].__setitem__("line", 0),
    lambda d: d["thresholds"].__setitem__("min_mutants", -1),
    lambda d: d["summary"].__setitem__("seconds", -1),
    lambda d: d.__setitem__("created", "yesterday"),
    lambda d: d["variants"][1]["messages"].__setitem__("backward", 3),
], ids=["version", "recall>1", "line0", "min_mutants<0", "seconds<0", "created", "message-not-text"])
def test_schema_rejects_out_of_range_values(change):
    document = sample()
    change(document)
    assert _errors(document)


# ---------------------------------------------------------------------------
# Text report
# ---------------------------------------------------------------------------

def _row(report: str, item_id: str) -> str:
    rows = [line for line in report.splitlines() if line.startswith(item_id + " ")]
    assert len(rows) == 1, report
    return rows[0]


def test_text_shows_each_items_recall_precision_and_verdict():
    report = auditreport.text(sample())
    forward, backward, unchanged = (_row(report, i) for i in ("forward", "backward", "unchanged"))
    assert "2/2" in forward and "100%" in forward and "PASS" in forward
    assert "2/3" in backward and "67%" in backward and "50%" in backward and "1/2" in backward
    assert "FAIL" in backward and "recall 67% < 95%" in backward
    words = " ".join(report.split())
    assert "recall 67% < 95% precision 50% < 100% mistake forgot_bias_sum not caught" in words
    assert re.search(r"0/0\s+-\s", unchanged), unchanged  # no mutant in scope: recall "-"


def test_text_shows_the_surviving_mutant_with_its_diff():
    report = auditreport.text(sample())
    section = report.split("Surviving mutants", 1)[1]
    assert "relu_backward:ror:1" in section and "x < LIMIT -> x <= LIMIT" in section
    assert "      +    mask = (x > 0) & (x <= LIMIT)" in section
    assert "</pre><script>" in section  # plain text: shown as is
    assert "x <= LIMIT)" not in auditreport.text(sample(), diffs=False)


def test_text_lists_rejected_variants_wrong_mistakes_flagged_tolerances_and_warnings():
    report = auditreport.text(sample())
    words = " ".join(report.split())  # long messages are wrapped
    assert "backward: float32_cast" in report
    assert "(relative error 2.1e-07, tolerance 1e-07) likely cause: rounding" in words
    assert "forgot_bias_sum" in report and "transposed_weight" not in report
    tolerances = report.split("\nTolerances\n", 1)[1]
    assert "tight" in tolerances and "loose" in tolerances
    assert "unmeasured" not in tolerances and "test_linear.py::test_forward " not in tolerances
    assert "no mutation operator applies to softmax" in report


def test_text_ends_with_the_summary_line():
    document = sample()
    assert auditreport.text(document).splitlines()[-1] == document["summary"]["line"]
    assert auditreport.text(empty()).splitlines()[-1] == "audit passed: nothing to audit"


def test_text_has_no_ansi_codes_unless_color_is_asked():
    assert ANSI not in auditreport.text(sample())
    colored = auditreport.text(sample(), color=True)
    assert "\x1b[32mPASS\x1b[0m" in colored and "\x1b[31mFAIL\x1b[0m" in colored
    assert "\x1b[32m+    mask = (x > 0) & (x <= LIMIT)\x1b[0m" in colored


def test_text_cannot_be_made_to_print_escape_sequences_by_the_document():
    document = sample()
    document["items"][1]["rejected"][0]["message"] = "\x1b[32mALL GOOD\x1b[0m"
    document["warnings"].append("\x1b]0;title\x07")
    document["mutants"][2]["diff"] += "+\x1b[2J\n"
    report = auditreport.text(document)
    assert "\x1b" not in report and "\\x1b[32mALL GOOD" in report


def test_text_keeps_lines_short_except_diffs():
    document = sample()
    document["items"][1]["problems"].append("x" * 300)
    document["warnings"].append("w" * 300)
    document["mistakes"][1]["detail"] = "d" * 300
    report = auditreport.text(document, diffs=False)
    long_lines = [line for line in report.splitlines() if len(line) > auditreport.WIDTH]
    assert long_lines == [] and "…" in report


# ---------------------------------------------------------------------------
# HTML report
# ---------------------------------------------------------------------------

VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source", "track", "embed"}


class Page(HTMLParser):
    """Collects the rects of the page and checks that every element is closed in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.counts: dict[str, int] = {}
        self.rects: list[dict] = []
        self._rect: dict | None = None
        self._in_title = False
        self.doctype = None

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "rect":
            self._rect = dict(attrs, title="")
            self.rects.append(self._rect)
        if tag == "title" and self._rect is not None:
            self._in_title = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()
        if tag == "title":
            self._in_title = False
        if tag == "rect":
            self._rect = None

    def handle_data(self, data):
        if self._in_title and self._rect is not None:
            self._rect["title"] += data


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def test_html_is_one_well_formed_document_without_script():
    page = auditpage.html(sample())
    parsed = parse(page)
    assert parsed.doctype.lower() == "doctype html"
    assert parsed.problems == [] and parsed.stack == []
    assert parsed.counts["html"] == 1 and parsed.counts["body"] == 1 and parsed.counts["svg"] == 1
    assert page.count("<svg") == 1 and page.count("</svg>") == 1
    assert page.count("<table") == page.count("</table>") >= 4
    assert "<script" not in page.lower()


def test_html_loads_nothing_from_outside():
    page = auditpage.html(sample())
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", page)
    assert "@import" not in page and "url(http" not in page


def test_html_escapes_the_diff():
    page = auditpage.html(sample())
    assert page.count("</pre>") == len(re.findall(r"<pre[\s>]", page)) >= 2
    assert "x &lt;= LIMIT" in page and "(x &gt; 0) &amp; (x &lt;= LIMIT)" in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_html_colors_added_and_removed_diff_lines():
    page = auditpage.html(sample())
    assert '<span class="add">+    mask = (x &gt; 0) &amp; (x &lt;= LIMIT)</span>' in page
    assert '<span class="del">-    mask = (x &gt; 0) &amp; (x &lt; LIMIT)</span>' in page


def test_html_kill_matrix_has_one_rect_per_non_equivalent_mutant_and_item():
    document = sample()
    rects = parse(auditpage.html(document)).rects
    non_equivalent = [m for m in document["mutants"] if m["status"] != "equivalent"]
    assert len(rects) == len(non_equivalent) * len(document["items"]) == 15
    titles = [r["title"] for r in rects]
    assert len(set(titles)) == len(titles)
    assert not any("linear_forward:aor:2" in t for t in titles)  # the equivalent mutant is not drawn


@pytest.mark.parametrize("mutant_id, item_id, state", [
    ("linear_forward:aor:1", "forward", "killed"),
    ("linear_forward:aor:1", "backward", "not in scope"),
    ("relu_backward:ror:1", "backward", "survived"),
    ("relu_backward:aor:2", "backward", "killed"),
    ("relu_backward:aor:2", "unchanged", "collateral"),
    ("relu_backward:svr:3", "backward", "unjudged"),
    ("linear_forward:aor:4", "backward", "killed"),
])
def test_html_kill_matrix_cell_is_filled_by_its_state(mutant_id, item_id, state):
    rects = {r["title"]: r for r in parse(auditpage.html(sample())).rects}
    rect = rects[f"{mutant_id} \u00d7 {item_id}: {state}"]
    assert rect["fill"] == auditpage.FILLS[state]
    assert len(set(auditpage.FILLS.values())) == len(auditpage.FILLS)


def test_html_kill_matrix_groups_rows_by_function():
    rects = parse(auditpage.html(sample())).rects
    order = []
    for rect in rects:
        mutant_id = rect["title"].split(" \u00d7 ")[0]
        if mutant_id not in order:
            order.append(mutant_id)
    assert order == ["linear_forward:aor:1", "linear_forward:aor:4",
                     "relu_backward:ror:1", "relu_backward:aor:2", "relu_backward:svr:3"]
    ys = [float(r["y"]) for r in rects]
    assert ys == sorted(ys)


def test_html_has_a_legend_and_colored_rate_cells():
    page = auditpage.html(sample())
    assert "collateral: lost an item outside its scope" in page
    assert '<td class="num fail">67%</td>' in page and '<td class="num pass">100%</td>' in page
    assert '<td class="num na">-</td>' in page  # recall of the item without mutants


def test_html_shows_sections_for_variants_mistakes_tolerances_and_warnings():
    page = auditpage.html(sample())
    for text in ("Surviving mutants", "Unjudged mutants", "worker crashed: MemoryError", "Rejected variants",
                 "float32_cast", "forgot_bias_sum", "backward was not lost: db is not checked",
                 "Tolerances", "suggest rtol 1e-5", "unmeasured", "no mutation operator applies to softmax",
                 "audit FAILED: recall 75% (3/4)"):
        assert text in page, text


def test_html_svg_grows_with_the_counts():
    document = sample()
    items = [f"item_{i:02d}" for i in range(30)]
    document["items"] = [dict(document["items"][0], id=i) for i in items]
    document["mutants"] = [mutant(f"f{k % 7}:aor:{k}", f"f{k % 7}", status="survived" if k % 5 else "killed",
                                  expected=[items[k % 30]], lost=[] if k % 5 else [items[k % 30]], line=k + 1)
                           for k in range(150)]
    page = auditpage.html(document)
    parsed = parse(page)
    assert parsed.problems == [] and len(parsed.rects) == 150 * 30
    svg = re.search(r'<svg[^>]*width="(\d+)" height="(\d+)"', page)
    width, height = int(svg.group(1)), int(svg.group(2))
    assert 30 * auditreport.CELL < width < 30 * auditreport.CELL + 800
    assert 150 * auditreport.CELL < height < 150 * auditreport.CELL + 600


# ---------------------------------------------------------------------------
# Empty documents
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("document", [empty(), {}], ids=["empty", "bare"])
def test_both_reports_handle_a_document_without_mutants_or_items(document):
    report = auditreport.text(document)
    assert "(no rubric items)" in report and ANSI not in report
    page = auditpage.html(document)
    parsed = parse(page)
    assert parsed.problems == [] and parsed.stack == [] and parsed.rects == []
    assert "<svg" not in page and "No rubric items." in page


def test_reports_do_not_change_the_document():
    document = sample()
    before = copy.deepcopy(document)
    auditreport.text(document, color=True)
    auditpage.html(document)
    assert document == before
