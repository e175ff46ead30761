"""Grades back into an LMS (grader/exporter.py and its plugins canvas, moodle, lti-ags): docs/lms.md."""

from __future__ import annotations

import csv
import io
import json
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import canvas, course, exporter, lti, moodle, result, schema
from grader.cli import main
from grader.gradebook import csv_rows
from grader.plugin import Outcome

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lms_export"
ROSTER = FIXTURES / "canvas_gradebook.csv"


def _document(assignment, student_id: str, passing: set[str], *, grader_error: bool = False) -> dict:
    outcomes = []
    for item in assignment.rubric.items:
        status = "passed" if item.id in passing else "failed"
        if grader_error and item.id == assignment.rubric.items[0].id:
            status = "grader_error"
        outcomes.append(Outcome(f"t.py::{item.id}", item.id, status, "" if status == "passed" else "wrong"))
    provenance = {"assignment": assignment.name, "submission": f"{student_id}.py", "submission_sha256": "ab" * 32,
                  "rubric_sha256": "cd" * 32, "seed": 1, "sandbox": "bwrap", "worker_restarts": 0,
                  "student_id": student_id}
    return result.build(rubric=assignment.rubric, outcomes=outcomes, provenance=provenance, execution_time=0.5)


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory) -> Path:
    """A `grade batch -o` folder of the layers assignment: Canvas user ids 1001 (full marks),
    1002 (partly), 1004 (a grader error) and 2000 (not in the roster); 1003 and 1005 did not submit."""
    layers = course.load(REPO, "layers")
    items = [i.id for i in layers.rubric.items]
    folder = tmp_path_factory.mktemp("batch")
    (folder / "results").mkdir()
    documents = [_document(layers, "1001", set(items)), _document(layers, "1002", set(items[:3])),
                 _document(layers, "1004", set(items), grader_error=True), _document(layers, "2000", set())]
    for document in documents:
        result.write(folder / "results" / f"{document['extra_data']['student_id']}.json", document)
    # a result of an earlier run left in a reused folder: not in grades.csv, never exported
    stale = _document(layers, "1005", set(items))
    result.write(folder / "results" / "1005.json", stale)
    (folder / "grades.csv").write_text(csv_rows([["student_id", "score"]] + [
        [d["extra_data"]["student_id"], d["score"]] for d in documents]))
    return folder


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8"), newline="")))


# -- the plugin hook ------------------------------------------------------------------

def test_the_four_exporters_are_registered_through_the_entry_point_group():
    registered = {e.name: e.value for e in metadata.entry_points(group=exporter.GROUP)}
    assert registered == {"canvas": "grader.canvas:EXPORTER", "moodle": "grader.moodle:EXPORTER",
                          "lti-ags": "grader.lti:EXPORTER", "gradescope": "grader.gradescope:EXPORTER"}
    assert list(exporter.available()) == ["canvas", "gradescope", "lti-ags", "moodle"]


def test_a_third_party_exporter_registered_by_entry_point_is_listed_and_run(tmp_path, monkeypatch, batch_dir):
    (tmp_path / "course_plugin.py").write_text(textwrap.dedent('''
        from pathlib import Path
        from grader.exporter import Exporter, Option, Report, read_batch

        def run(*, batch, output, scale):
            results = read_batch(batch)
            lines = [f"{sid}\\t{g.score * float(scale):g}" for sid, g in sorted(results.results.items())]
            Path(output).write_text("\\n".join(lines) + "\\n")
            return Report(Path(output), len(lines), ["scaled"])

        EXPORTER = Exporter("tsv", "Tab-separated scores.", (
            Option("batch", "batch folder", kind="argument", required=True),
            Option("output", "file", kind="output", required=True, flags=("-o", "--output")),
            Option("scale", "factor", default="1")), run)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    real = metadata.entry_points
    fake = metadata.EntryPoint(name="tsv", value="course_plugin:EXPORTER", group=exporter.GROUP)

    def entry_points(**kwargs):
        found = real(**kwargs)
        return metadata.EntryPoints([*found, fake]) if kwargs.get("group") == exporter.GROUP else found

    monkeypatch.setattr(exporter.metadata, "entry_points", entry_points)
    runner = CliRunner()
    listing = runner.invoke(main, ["export", "--help"])
    assert listing.exit_code == 0 and "tsv" in listing.output and "Tab-separated scores." in listing.output
    out = tmp_path / "scores.tsv"
    done = runner.invoke(main, ["export", "tsv", str(batch_dir), "-o", str(out), "--scale", "0.5"])
    assert done.exit_code == 0, done.output
    assert "wrote" in done.output and "note: scaled" in done.output
    assert out.read_text().splitlines()[0] == "1001\t50"
    sys.modules.pop("course_plugin", None)


def test_an_unknown_exporter_is_a_usage_error_naming_the_registered_ones(batch_dir):
    with pytest.raises(exporter.ExportError, match="no exporter 'blackboard'.*canvas, gradescope, lti-ags, moodle"):
        exporter.export(lms="blackboard", batch=batch_dir)


# -- Canvas ---------------------------------------------------------------------------

def test_canvas_export_has_the_roster_students_in_roster_order_one_column_and_points_possible(tmp_path, batch_dir):
    out = tmp_path / "canvas.csv"
    report = exporter.export(lms="canvas", batch=batch_dir, roster=ROSTER, output=out, assignment_id="4401")
    assert canvas.check_import(out.read_text("utf-8")) == []
    rows = _rows(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Layers (4401)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "100"]
    roster_ids = [r[1] for r in _rows(ROSTER)[2:]]
    assert [r[1] for r in rows[2:]] == roster_ids == ["1001", "1002", "1003", "1004", "1005", "1999"]
    scores = {r[1]: r[5] for r in rows[2:]}
    layers = course.load(REPO, "layers")
    partial = sum(i.points for i in layers.rubric.items[:3])
    assert scores == {"1001": "100", "1002": result._points(partial), "1003": "", "1004": "", "1005": "",
                      "1999": ""}
    assert rows[2][:5] == ["Lovelace, Ada", "1001", "S1001", "ada", "NN 101 - A"]
    assert rows[5][0].startswith("'=HYPERLINK")  # a roster name never becomes a formula
    notes = "\n".join(report.notes)
    assert "3 roster student(s) without a result" in notes and "Hopper, Grace (1003)" in notes
    assert "1 result(s) with a grader error left blank" in notes and "1004" in notes
    assert "not in the roster" in notes and "2000" in notes
    assert "1005.json: student 1005 is not in grades.csv" in notes


def test_canvas_column_is_found_by_title_and_missing_students_can_be_zero(tmp_path, batch_dir):
    out = tmp_path / "canvas.csv"
    exporter.export(lms="canvas", batch=batch_dir, roster=ROSTER, output=out, title="layers", missing_zero=True)
    rows = _rows(out)
    assert rows[0][5] == "Layers (4401)"
    assert {r[1]: r[5] for r in rows[2:]}["1003"] == "0"
    assert canvas.check_import(out.read_text("utf-8")) == []


def test_canvas_checker_refuses_what_canvas_would_misread():
    good = "Student,ID,SIS User ID,SIS Login ID,Section,Layers (1)\r\n    Points Possible,,,,,10\r\nA,1,,a,S,5\r\n"
    assert canvas.check_import(good) == []
    assert canvas.check_import(good.replace(",Layers (1)", ",Layers (1),Current Score").replace(",10", ",10,")
                               .replace(",5\r", ",5,\r"))
    assert canvas.check_import(good.replace("    Points Possible", "Points"))
    assert canvas.check_import(good.replace(",5\r", ",five\r"))


def test_canvas_cli_writes_the_file_and_a_roster_that_is_not_a_gradebook_is_refused(tmp_path, batch_dir):
    runner = CliRunner()
    out = tmp_path / "canvas.csv"
    done = runner.invoke(main, ["export", "canvas", str(batch_dir), "--roster", str(ROSTER), "-o", str(out),
                                "--assignment-id", "4401"])
    assert done.exit_code == 0, done.output
    assert f"wrote {out} (6 rows)" in done.output
    bad = tmp_path / "not_a_gradebook.csv"
    bad.write_text("name,score\nada,1\n")
    refused = runner.invoke(main, ["export", "canvas", str(batch_dir), "--roster", str(bad), "-o", str(out)])
    assert refused.exit_code == 2 and "no 'Student' column" in refused.output


# -- Moodle ---------------------------------------------------------------------------

@pytest.mark.parametrize("identifier, column, first", [("email", "Email address", "ada@example.edu"),
                                                        ("idnumber", "ID number", "S1001")])
def test_moodle_csv_validates_against_its_schema_for_each_identifier(tmp_path, batch_dir, identifier, column, first):
    # the batch ids are Canvas-like numbers; Moodle's participants are matched by their ID number "S<id>"
    mapped = tmp_path / "batch"
    (mapped / "results").mkdir(parents=True)
    for path in (batch_dir / "results").glob("*.json"):
        if path.name == "1005.json":  # the stale result (grades.csv is not copied)
            continue
        document = json.loads(path.read_text())
        document["extra_data"]["student_id"] = "S" + document["extra_data"]["student_id"]
        result.write(mapped / "results" / ("S" + path.name), document)
    out = tmp_path / "moodle.csv"
    report = exporter.export(lms="moodle", batch=mapped, participants=FIXTURES / "moodle_participants.csv",
                             output=out, identifier=identifier, match="idnumber", item="Layers")
    field = moodle.CHOICES[identifier]
    text = out.read_text("utf-8")
    assert moodle.check_import(text, identifier=field) == []
    assert exporter.schema_errors("moodle-grades", {"identifier": field, **moodle.parse(text)}) == []
    rows = _rows(out)
    assert rows[0] == [column, "First name", "Last name", "Layers"]
    assert [r[0] for r in rows[1:]][0] == first and len(rows) == 3  # Ada and Alan; Grace/Barbara missing
    assert any("map from" in n and field in n for n in report.notes)
    assert any("2 participant(s) without a result" in n for n in report.notes)


def test_moodle_checker_refuses_a_blank_grade_a_bad_email_and_two_identifier_columns():
    good = "Email address,First name,Last name,Layers\r\nada@example.edu,Ada,L,10\r\n"
    assert moodle.check_import(good, identifier="useremail") == []
    assert moodle.check_import(good.replace(",10", ","), identifier="useremail")
    assert moodle.check_import(good.replace("ada@example.edu", "ada"), identifier="useremail")
    assert moodle.check_import(good, identifier="userid")
    assert moodle.check_import(good.replace("Layers", "ID number,Layers").replace(",10", ",S1,10"),
                               identifier="useremail")


# -- LTI AGS --------------------------------------------------------------------------

def test_lti_ags_lines_validate_and_a_grader_error_is_failed_without_a_score(tmp_path, batch_dir):
    out = tmp_path / "scores.jsonl"
    report = exporter.export(lms="lti-ags", batch=batch_dir, output=out, users=FIXTURES / "lti_users.csv",
                             timestamp="2026-12-03T10:00:00.000+00:00")
    text = out.read_text("utf-8")
    assert lti.check_lines(text) == []
    scores = [json.loads(line) for line in text.splitlines()]
    assert [s["userId"] for s in scores] == ["a6d5c443-1f51-4783-ba1a-7686ffe3b54a",
                                             "0ae836b9-7fc9-4060-006f-27b2066ac545"]
    assert scores[0] == {"userId": "a6d5c443-1f51-4783-ba1a-7686ffe3b54a", "scoreGiven": 100, "scoreMaximum": 100,
                         "comment": "100/100 points", "timestamp": "2026-12-03T10:00:00.000+00:00",
                         "activityProgress": "Completed", "gradingProgress": "FullyGraded"}
    assert any("1004: not in" in n for n in report.notes)
    everyone = tmp_path / "all.jsonl"
    exporter.export(lms="lti-ags", batch=batch_dir, output=everyone)
    by_user = {json.loads(line)["userId"]: json.loads(line) for line in everyone.read_text().splitlines()}
    assert by_user["1004"]["gradingProgress"] == "Failed" and "scoreGiven" not in by_user["1004"]
    assert "GRADER ERROR" in by_user["1004"]["comment"]
    assert lti.check_lines(everyone.read_text()) == []
    assert lti.check_lines(json.dumps({**by_user["1001"], "gradingProgress": "Pending"}))
    assert lti.check_lines(json.dumps({**by_user["1001"], "timestamp": "2026-12-03 10:00"}))


# -- results.json ---------------------------------------------------------------------

def test_results_are_plain_text_for_gradescope_and_carry_rubric_tags_and_visibility(tmp_path):
    layers = course.load(REPO, "layers")
    document = _document(layers, "x", set())
    assert document["output_format"] == "text"
    assert {t["output_format"] for t in document["tests"]} == {t["name_format"] for t in document["tests"]} == {"text"}
    raw = json.loads(layers.rubric.raw)
    raw["visibility"], raw["stdout_visibility"] = "after_published", "visible"
    raw["items"][0]["tags"] = ["forward", "affine"]
    import dataclasses

    tagged = dataclasses.replace(layers.rubric, raw=json.dumps(raw).encode())
    document = result.build(rubric=tagged, outcomes=[], provenance={
        "assignment": "layers", "submission_sha256": "", "rubric_sha256": "cd" * 32, "seed": 1, "sandbox": "none"},
        execution_time=0)
    assert schema.errors("result", document) == []
    assert document["visibility"] == "after_published" and document["stdout_visibility"] == "visible"
    assert document["tests"][0]["tags"] == ["forward", "affine"] and "tags" not in document["tests"][1]
    broken = json.loads(json.dumps(document))
    broken["tests"][0]["output_format"] = "html"
    assert schema.errors("result", broken)
