"""Rubric files (grader/rubric.py), their schemas (grader/schema.py) and course layout (grader/course.py)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import grader
from grader import course, rubric, schema
from grader.failure import GraderError
from grader.rubric import RubricError

REPO = Path(grader.__file__).resolve().parent.parent
LAYERS_RUBRIC = REPO / "rubrics" / "layers" / "rubric.json"


def minimal_rubric() -> dict:
    return {
        "schema_version": 1,
        "assignment": "demo",
        "title": "Demo assignment",
        "module": "demo",
        "total_points": 30,
        "items": [
            {"id": "first", "title": "First", "points": 10, "visibility": "visible"},
            {"id": "second", "title": "Second", "points": 15, "visibility": "hidden"},
            {"id": "third", "title": "Third", "points": 5, "visibility": "after_due_date"},
        ],
    }


def write_rubric(folder: Path, document=None, *, raw: str | bytes | None = None) -> Path:
    path = folder / "rubrics" / "demo" / "rubric.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is None:
        raw = json.dumps(document)
    if isinstance(raw, str):
        raw = raw.encode()
    path.write_bytes(raw)
    return path


def rubric_error(path: Path) -> str:
    with pytest.raises(RubricError) as info:
        rubric.load(path)
    return str(info.value)


# -- loading --------------------------------------------------------------------

def test_real_layers_rubric_loads():
    loaded = rubric.load(LAYERS_RUBRIC)
    assert loaded.assignment == "layers"
    assert loaded.module == "layers"
    assert loaded.max_score == 100
    assert [item.id for item in loaded.items][:2] == ["affine_forward", "affine_backward_dx"]
    assert len({item.id for item in loaded.items}) == len(loaded.items)  # ids are unique
    assert loaded.raw == LAYERS_RUBRIC.read_bytes()


def test_minimal_rubric_loads_with_items_in_order(tmp_path):
    loaded = rubric.load(write_rubric(tmp_path, minimal_rubric()))
    assert [(i.id, i.title, i.points, i.visibility) for i in loaded.items] == [
        ("first", "First", 10, "visible"), ("second", "Second", 15, "hidden"), ("third", "Third", 5, "after_due_date")]
    assert loaded.max_score == 30
    assert loaded.item("second").points == 15
    with pytest.raises(KeyError):
        loaded.item("fourth")


def test_total_points_is_optional(tmp_path):
    document = minimal_rubric()
    del document["total_points"]
    assert rubric.load(write_rubric(tmp_path, document)).max_score == 30


def test_rubric_missing_items_is_refused_naming_file_and_property(tmp_path):
    document = minimal_rubric()
    del document["items"]
    path = write_rubric(tmp_path, document)
    message = rubric_error(path)
    assert message.startswith(f"{path}: does not follow rubric.schema.json")
    assert "/: 'items' is a required property" in message


def test_bad_visibility_is_refused_naming_file_and_pointer(tmp_path):
    document = minimal_rubric()
    document["items"][0]["visibility"] = "public"
    path = write_rubric(tmp_path, document)
    message = rubric_error(path)
    assert str(path) in message
    assert "/items/0/visibility: 'public' is not one of" in message


def test_negative_points_are_refused_naming_file_and_pointer(tmp_path):
    document = minimal_rubric()
    document["items"][1]["points"] = -5
    path = write_rubric(tmp_path, document)
    message = rubric_error(path)
    assert str(path) in message
    assert "/items/1/points: -5 is less than the minimum of 0" in message


@pytest.mark.parametrize("where, pointer", [("item", "/items/2: "), ("top", "/: ")])
def test_unknown_key_is_refused_naming_file_and_pointer(tmp_path, where, pointer):
    document = minimal_rubric()
    (document["items"][2] if where == "item" else document)["weight"] = 1
    path = write_rubric(tmp_path, document)
    message = rubric_error(path)
    assert str(path) in message
    assert pointer + "Additional properties are not allowed ('weight' was unexpected)" in message


def test_every_schema_violation_is_listed_at_once(tmp_path):
    document = minimal_rubric()
    document["items"][0]["visibility"] = "public"
    document["items"][2]["points"] = "five"
    document["module"] = "not a module"
    message = rubric_error(write_rubric(tmp_path, document))
    assert "/items/0/visibility" in message
    assert "/items/2/points: 'five' is not of type 'number'" in message
    assert "/module: " in message


@pytest.mark.parametrize("field, value", [("id", "Bad-Id"), ("title", ""), ("points", True)])
def test_malformed_item_fields_are_refused(tmp_path, field, value):
    document = minimal_rubric()
    document["items"][1][field] = value
    assert f"/items/1/{field}: " in rubric_error(write_rubric(tmp_path, document))


def test_empty_items_list_is_refused(tmp_path):
    document = minimal_rubric()
    document["items"] = []
    assert "/items: [] should be non-empty" in rubric_error(write_rubric(tmp_path, document))


def test_wrong_schema_version_is_refused(tmp_path):
    document = minimal_rubric()
    document["schema_version"] = 2
    assert "/schema_version: 1 was expected" in rubric_error(write_rubric(tmp_path, document))


def test_duplicate_item_ids_name_both_pointers(tmp_path):
    document = minimal_rubric()
    document["items"][2]["id"] = "first"
    path = write_rubric(tmp_path, document)
    assert rubric_error(path) == f"{path}: /items/2/id: duplicate item id 'first' (first at /items/0/id)"


def test_total_points_mismatch_is_reported(tmp_path):
    document = minimal_rubric()
    document["total_points"] = 100
    path = write_rubric(tmp_path, document)
    assert rubric_error(path) == f"{path}: /total_points: items add up to 30, not 100"


def test_fractional_points_adding_up_to_total_are_accepted(tmp_path):
    document = minimal_rubric()
    document["items"] = [{"id": f"i{k}", "title": "t", "points": 0.1, "visibility": "visible"} for k in range(3)]
    document["total_points"] = 0.3
    assert rubric.load(write_rubric(tmp_path, document)).max_score == pytest.approx(0.3)


@pytest.mark.parametrize("raw", ['{"schema_version": 1,', "", "{'single': 'quotes'}", b"\xff\xfe{}"],
                         ids=["truncated", "empty", "python-dict", "not-utf8"])
def test_invalid_json_is_reported(tmp_path, raw):
    path = write_rubric(tmp_path, raw=raw)
    assert rubric_error(path).startswith(f"{path}: not valid JSON: ")


@pytest.mark.parametrize("literal, with_total", [("NaN", True), ("NaN", False), ("Infinity", False)])
def test_non_finite_points_are_refused(tmp_path, literal, with_total):
    document = minimal_rubric()
    if not with_total:
        del document["total_points"]
    text = json.dumps(document).replace('"points": 5', '"points": ' + literal)
    assert literal in text
    with pytest.raises(RubricError):
        rubric.load(write_rubric(tmp_path, raw=text))


def test_top_level_that_is_not_an_object_is_refused(tmp_path):
    assert "/: [] is not of type 'object'" in rubric_error(write_rubric(tmp_path, raw="[]"))


def test_unreadable_rubric_is_reported(tmp_path):
    path = tmp_path / "missing" / "rubric.json"
    assert rubric_error(path).startswith(f"{path}: cannot read the rubric")


# -- course -----------------------------------------------------------------------

def test_course_load_of_unknown_assignment_lists_the_known_ones():
    with pytest.raises(GraderError) as info:
        course.load(REPO, "no_such_assignment")
    known = ", ".join(course.names(REPO))
    assert "layers" in known
    assert str(info.value) == f"no assignment 'no_such_assignment' in the course at {REPO} (known: {known})"


def test_course_load_in_a_course_without_rubrics_says_none_are_known(tmp_path):
    with pytest.raises(GraderError, match=r"\(known: none\)$"):
        course.load(tmp_path, "layers")


def test_course_load_of_the_real_assignment():
    assignment = course.load(REPO, "layers")
    assert assignment.module == "layers"
    assert assignment.rubric.max_score == 100
    assert assignment.hidden_tests == REPO / "rubrics" / "layers" / "tests"
    assert REPO / "rubrics" in assignment.secret_paths and REPO / "solutions" in assignment.secret_paths


def test_course_load_turns_a_broken_rubric_into_a_grader_error_naming_the_pointer(tmp_path):
    document = minimal_rubric()
    document["items"][0]["visibility"] = "public"
    path = write_rubric(tmp_path, document)
    with pytest.raises(GraderError) as info:
        course.load(tmp_path, "demo")
    assert str(path) in str(info.value) and "/items/0/visibility" in str(info.value)


def test_course_load_refuses_a_rubric_naming_another_assignment(tmp_path):
    document = minimal_rubric()
    document["assignment"] = "other"
    write_rubric(tmp_path, document)
    with pytest.raises(GraderError, match="/assignment: says 'other' but the folder is 'demo'"):
        course.load(tmp_path, "demo")


def test_rubric_hash_changes_when_a_hidden_test_changes(tmp_path):
    write_rubric(tmp_path, minimal_rubric())
    test_file = tmp_path / "rubrics" / "demo" / "tests" / "test_demo.py"
    test_file.parent.mkdir()
    test_file.write_text("def test_a(): pass\n")
    before = course.load(tmp_path, "demo").rubric_sha256()
    assert before == course.load(tmp_path, "demo").rubric_sha256()
    test_file.write_text("def test_a(): assert 1\n")
    assert course.load(tmp_path, "demo").rubric_sha256() != before


# -- schemas ----------------------------------------------------------------------

@pytest.mark.parametrize("name", schema.SCHEMAS)
def test_schemas_are_valid_draft_2020_12_schemas(name):
    document = schema.load(name)
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", ["rubric", "result"])
def test_schemas_are_loadable_as_package_data(name):
    packaged = resources.files("grader").joinpath("schemas", f"{name}.schema.json")
    assert packaged.is_file()
    assert schema.load(name) == json.loads(packaged.read_text("utf-8"))
    assert schema.load(name)["$id"] == f"nngrade:{name}.schema.json"


def test_unknown_schema_name_is_refused():
    with pytest.raises(ValueError, match="unknown schema 'grades'"):
        schema.load("grades")


def test_schema_errors_prefix_each_violation_with_its_pointer():
    document = minimal_rubric()
    document["items"][1]["visibility"] = "nobody"
    assert schema.errors("rubric", minimal_rubric()) == []
    problems = schema.errors("rubric", document)
    assert len(problems) == 1 and problems[0].startswith("/items/1/visibility: 'nobody' is not one of")


def test_infinite_points_are_refused_when_total_points_is_given(tmp_path):
    text = json.dumps(minimal_rubric()).replace('"points": 5', '"points": Infinity')
    path = write_rubric(tmp_path, raw=text)
    assert rubric_error(path).startswith(f"{path}: not valid JSON: Infinity is not a number JSON allows")
