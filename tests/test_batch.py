"""Batch grading: one bad submission never costs another student; killed batches resume
exactly; regrades are reported; late policies apply; the report renders."""

import csv
import datetime as dt
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from conftest import (REFERENCE, REPO, SHORT_LIMITS, STARTER, descendants, full_marks, scores, stage_fixture,
                      wait_until_gone)

from grader import api, batch, result

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning",
                                        "ignore::grader.api.BatchWarning")

SECRET = "test-course-secret"


def make_class(root: Path, students: dict) -> Path:
    """A plain-folder download: {student id: fixture name, or a Path to copy as layers.py}."""
    folder = root / "submissions"
    folder.mkdir(parents=True)
    for student, source in students.items():
        if isinstance(source, Path):
            (folder / student).mkdir()
            shutil.copyfile(source, folder / student / "layers.py")
        else:
            shutil.move(stage_fixture(source, root / "staging"), folder / student)
    return folder


def run_batch(submissions, out, **kwargs):
    kwargs.setdefault("limits", SHORT_LIMITS)
    kwargs.setdefault("jobs", 2)
    os.environ[batch.SECRET_ENV] = SECRET
    try:
        return api.batch(submissions=submissions, assignment="layers", output=out, **kwargs)
    finally:
        del os.environ[batch.SECRET_ENV]


def grades(out: Path) -> dict:
    with open(out / "grades.csv", newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def test_hang_memory_bomb_and_os_exit_cost_only_their_own_students(tmp_path):
    submissions = make_class(tmp_path, {
        "alice": REFERENCE, "bob": "buggy_affine_backward_dw_times_n.py", "carol": "infinite_loop_in_relu_forward.py",
        "dave": "allocates_8_gib_in_affine_forward.py", "erin": "os_exit_at_import.py", "frank": STARTER})
    out = tmp_path / "out"
    summary = run_batch(submissions, out)
    table = grades(out)
    assert sorted(table) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert sorted(p.name for p in (out / "results").iterdir()) == sorted(f"{s}.json" for s in table)
    documents = {s: json.loads((out / "results" / f"{s}.json").read_text()) for s in table}
    for student, document in documents.items():
        result.validate(document)
        # erin's file kills its worker at import: nothing could be graded, and that is hers to fix
        assert document["extra_data"]["status"] == ("submission_error" if student == "erin" else "graded")
    full = full_marks(documents["alice"])
    assert scores(documents["alice"]) == full
    assert scores(documents["bob"]) == {**full, "affine_backward_dw": 0}
    assert scores(documents["carol"])["relu_forward"] == 0 and scores(documents["carol"])["affine_forward"] > 0
    assert scores(documents["dave"])["affine_forward"] == 0 and scores(documents["dave"])["relu_forward"] > 0
    assert documents["erin"]["score"] == 0 and documents["frank"]["score"] == 0
    assert summary.total == 6 and summary.grader_errors == 0 and summary.timeouts == 1
    assert table["alice"]["score"] == "100" and table["alice"]["status"] == "graded"


def test_each_student_gets_a_reproducible_seed_from_the_course_secret(tmp_path):
    submissions = make_class(tmp_path, {"alice": REFERENCE, "bob": REFERENCE})
    run_batch(submissions, tmp_path / "out")
    seeds = {s: json.loads((tmp_path / "out" / "results" / f"{s}.json").read_text())["extra_data"]["seed"]
             for s in ("alice", "bob")}
    assert seeds["alice"] == batch.student_seed(SECRET.encode(), "layers", "alice")
    assert seeds["alice"] != seeds["bob"]
    assert batch.student_seed(b"another secret", "layers", "alice") != seeds["alice"]


def test_resume_skips_unchanged_students_and_regrades_a_changed_submission(tmp_path):
    submissions = make_class(tmp_path, {"alice": REFERENCE, "bob": STARTER})
    out = tmp_path / "out"
    run_batch(submissions, out)
    assert run_batch(submissions, out, resume=True).reused == 2
    shutil.copyfile(REFERENCE, submissions / "bob" / "layers.py")
    summary = run_batch(submissions, out, resume=True)
    assert summary.reused == 1 and summary.graded == 1
    assert grades(out)["bob"]["score"] == "100"
    with open(out / "changes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["student_id"], r["old_score"], r["new_score"]) for r in rows] == [("bob", "0", "100")]


def test_regrade_after_a_rubric_change_writes_changes_csv(tmp_path):
    course = tmp_path / "course"
    for folder in ("assignments", "solutions", "rubrics"):
        shutil.copytree(REPO / folder, course / folder)
    submissions = make_class(tmp_path, {"alice": REFERENCE, "bob": "buggy_affine_backward_dw_times_n.py"})
    out = tmp_path / "out"
    run_batch(submissions, out, course=course)
    rubric_path = course / "rubrics" / "layers" / "rubric.json"
    rubric = json.loads(rubric_path.read_text())
    points = {item["id"]: item for item in rubric["items"]}
    points["affine_backward_dw"]["points"] += 5
    points["affine_forward"]["points"] -= 5
    rubric_path.write_text(json.dumps(rubric))
    summary = run_batch(submissions, out, course=course, resume=True)
    assert summary.reused == 0
    with open(out / "changes.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["alice"]["old_score"] == rows["alice"]["new_score"] == "100"
    assert rows["alice"]["items_changed"] == "affine_backward_dw affine_forward"
    assert float(rows["bob"]["new_score"]) == float(rows["bob"]["old_score"]) - 5
    assert rows["bob"]["items_changed"] == "affine_forward"


def _batch_command(submissions, out, *extra):
    return [sys.executable, "-m", "grader.cli", "batch", str(submissions), "-a", "layers", "-o", str(out),
            "--timeout", "1.5", *extra]


def _env():
    return {**os.environ, batch.SECRET_ENV: SECRET}


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_batch_killed_halfway_and_resumed_has_one_result_per_student_and_the_same_scores(tmp_path):
    students = {f"s{i:02d}": ("infinite_loop_in_relu_forward.py" if i % 2 else REFERENCE) for i in range(8)}
    submissions = make_class(tmp_path, students)
    complete, interrupted = tmp_path / "complete", tmp_path / "interrupted"
    subprocess.run(_batch_command(submissions, complete, "-j", "2"), env=_env(), check=True,
                   capture_output=True, timeout=300)
    process = subprocess.Popen(_batch_command(submissions, interrupted, "-j", "1"), env=_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = list((interrupted / "results").glob("*.json")) if (interrupted / "results").is_dir() else []
        if len(done) >= 2:
            break
        time.sleep(0.05)
    below = descendants(process.pid)
    assert below, "the batch has its pool and workers running"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    partial = len(list((interrupted / "results").glob("*.json")))
    assert 2 <= partial < len(students), "the kill must land halfway"
    assert wait_until_gone(below) == set(), "the pool and its workers die with the main process"
    resumed = subprocess.run(_batch_command(submissions, interrupted, "--resume"), env=_env(),
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{partial} unchanged" in resumed.stdout
    assert sorted(p.name for p in (interrupted / "results").iterdir()) == sorted(f"{s}.json" for s in students)
    assert [p.name for p in (interrupted / "results").glob(".*")] == []  # no half-written temp files
    assert {s: r["score"] for s, r in grades(interrupted).items()} == \
        {s: r["score"] for s, r in grades(complete).items()}


@pytest.mark.skipif(os.name != "posix", reason="process groups and SIGINT")
def test_ctrl_c_stops_the_batch_cleanly_and_leaves_no_worker_behind(tmp_path):
    submissions = make_class(tmp_path, {f"s{i}": "infinite_loop_in_relu_forward.py" for i in range(6)})
    # A terminal's Ctrl-C reaches a batch whose SIGINT is at its default; a suite started in the
    # background by a non-interactive shell inherits SIGINT ignored, so the default is restored here.
    process = subprocess.Popen(_batch_command(submissions, tmp_path / "out", "-j", "2"), env=_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not any("grader.worker" in _cmdline(p) for p in descendants(process.pid)):
        assert time.monotonic() < deadline, "no worker started"
        time.sleep(0.05)
    below = descendants(process.pid)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "rerun with --resume" in stderr
    assert wait_until_gone(below) == set()


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_late_policy_gives_raw_score_penalty_and_final_score(tmp_path):
    course = tmp_path / "course"
    for folder in ("assignments", "solutions", "rubrics"):
        shutil.copytree(REPO / folder, course / folder)
    (course / "course.json").write_text(json.dumps({"schema_version": 1, "assignments": {"layers": {
        "due": "2026-11-20T23:59:00+00:00",
        "late_policy": {"kind": "percent_per_day", "percent_per_day": 10, "max_percent": 50}}}}))
    download = tmp_path / "canvas"
    download.mkdir()
    times = {"1001": "2026-11-20T22:00:00+00:00", "1002": "2026-11-22T11:00:00+00:00",
             "1003": "2026-12-05T00:00:00+00:00"}
    for user, when in times.items():
        path = download / f"student{user}_{'LATE_' if user != '1001' else ''}{user}_9{user}_layers.py"
        shutil.copyfile(REFERENCE, path)
        stamp = dt.datetime.fromisoformat(when).timestamp()
        os.utime(path, (stamp, stamp))
    run_batch(download, tmp_path / "out", course=course)
    table = grades(tmp_path / "out")
    assert {u: (r["raw_score"], r["late_penalty"], r["days_late"], r["score"]) for u, r in table.items()} == {
        "1001": ("100", "0", "0", "100"), "1002": ("100", "20", "2", "80"), "1003": ("100", "50", "15", "50")}
    late = json.loads((tmp_path / "out" / "results" / "1002.json").read_text())["extra_data"]["late"]
    assert late["raw_score"] == 100 and late["penalty_percent"] == 20 and late["policy"] == "percent_per_day"


def test_zero_after_cutoff_policy_zeroes_only_submissions_after_the_cutoff(tmp_path):
    from grader.penalty import Policy
    due = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    policy = Policy(due=due, kind="zero_after_cutoff", cutoff=due + dt.timedelta(days=2))
    assert policy.assess(due + dt.timedelta(days=1), 90)["penalty_points"] == 0
    assert policy.assess(due + dt.timedelta(days=3), 90)["penalty_points"] == 90


def test_gradescope_export_is_graded_under_the_submitters_ids(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "submission_metadata.yml").write_text(
        "submission_7:\n  :submitters:\n  - :name: Ada\n    :sid: 'A1'\n  :created_at: 2026-11-20 10:00:00 +00:00\n"
        "submission_8:\n  :submitters:\n  - :name: Bob\n    :sid: 'B2'\n  :created_at: 2026-11-20 10:00:00 +00:00\n")
    for folder, source in (("submission_7", REFERENCE), ("submission_8", STARTER)):
        (export / folder).mkdir()
        shutil.copyfile(source, export / folder / "layers.py")
    summary = run_batch(export, tmp_path / "out")
    assert summary.layout == "gradescope"
    assert {s: r["score"] for s, r in grades(tmp_path / "out").items()} == {"A1": "100", "B2": "0"}


def test_dask_cluster_grades_like_local_workers(tmp_path):
    distributed = pytest.importorskip("distributed")
    submissions = make_class(tmp_path, {"alice": REFERENCE, "bob": "buggy_affine_backward_dw_times_n.py",
                                        "frank": STARTER})
    run_batch(submissions, tmp_path / "local")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        run_batch(submissions, tmp_path / "dask", dask_address=cluster.scheduler_address)
    local, remote = grades(tmp_path / "local"), grades(tmp_path / "dask")
    assert local == remote


def _png_pixels(path: Path):
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of pixel tuples."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks, width = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride, rows, previous = width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        previous = line
    return rows


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (.ci/run installs it)")
def test_report_html_renders_its_plots_in_headless_chromium(tmp_path):
    submissions = make_class(tmp_path, {"alice": REFERENCE, "bob": "buggy_affine_backward_dw_times_n.py",
                                        "frank": STARTER})
    run_batch(submissions, tmp_path / "out")
    shot = tmp_path / "report.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run(["chromium", *flags, f"--screenshot={shot}", "--window-size=900,1100",
                    (tmp_path / "out" / "report.html").as_uri()], capture_output=True, timeout=120, check=True)
    pixels = _png_pixels(shot)
    bar = (0x3B, 0x6F, 0xB6)
    bar_rows = [y for y, row in enumerate(pixels) if sum(p == bar for p in row) > 20]
    assert len(bar_rows) > 100, "the histogram and pass-rate bars are drawn"
    dom = subprocess.run(["chromium", *flags, "--dump-dom", (tmp_path / "out" / "report.html").as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert dom.count('class="bar"') >= 10 + 7
    assert "buggy" not in dom and "alice" not in dom.split('id="problems"')[1]


def test_a_submission_that_breaks_the_grader_is_retried_once_then_recorded_as_a_grader_error(tmp_path):
    course = tmp_path / "course"
    for folder in ("assignments", "solutions", "rubrics"):
        shutil.copytree(REPO / folder, course / folder)
    attempts = tmp_path / "attempts.log"
    # A hidden test with a bug that only this submission's output triggers (a grader fault).
    (course / "rubrics" / "layers" / "tests" / "test_fragile.py").write_text(
        "import numpy as np\nimport pytest\n\n"
        "@pytest.mark.item('relu_forward')\n"
        "def test_fragile(student):\n"
        "    out, _ = student.relu_forward(np.ones((1, 2)))\n"
        "    if out[0, 0] == 7.0:\n"
        f"        open({str(attempts)!r}, 'a').write('attempt\\n')\n"
        "        raise RuntimeError('bug in the hidden test')\n")
    submissions = make_class(tmp_path, {"alice": REFERENCE})
    (submissions / "mallet").mkdir()
    (submissions / "mallet" / "layers.py").write_text(
        REFERENCE.read_text() + "\n\ndef relu_forward(x):\n    import numpy as np\n"
        "    return np.full_like(x, 7.0), x\n")
    summary = run_batch(submissions, tmp_path / "out", course=course)
    assert attempts.read_text().count("attempt") == 2
    table = grades(tmp_path / "out")
    assert table["mallet"]["status"] == "grader_error" and table["alice"]["status"] == "graded"
    assert summary.grader_errors == 1
    mallet = json.loads((tmp_path / "out" / "results" / "mallet.json").read_text())
    assert any("bug in the hidden test" in e for e in mallet["extra_data"]["grader_errors"])


# --- Hostile student ids (issue 9, gap 10): ids are chosen by students (a folder name, a
# Gradescope sid or e-mail); they must not run as spreadsheet formulas or paint the TA's terminal.

HOSTILE_IDS = Path(__file__).resolve().parent / "fixtures" / "batch_hostile_ids"
FORMULA_IDS = ['=HYPERLINK("http://x","click")', "@SUM(1+1)*cmd|' /C calc'!A0@example.edu", "-1+1", "+1+1",
               "\t=1+1", "\r=1+1"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def formula_batch(tmp_path_factory):
    """The Gradescope export whose ids are formulas, graded once for the tests below (read only)."""
    out = tmp_path_factory.mktemp("formulas") / "out"
    run_batch(HOSTILE_IDS / "formulas_in_gradescope_ids", out, sandbox_backend="subprocess")
    return out


def test_formula_in_a_student_id_reaches_grades_csv_as_text(formula_batch):
    rows = _csv_rows(formula_batch / "grades.csv")
    header, body = rows[0], rows[1:]
    ids = [row[header.index("student_id")] for row in body]
    assert sorted(ids) == sorted("'" + i for i in FORMULA_IDS), "each id is prefixed with ' and otherwise exact"
    for row in body:
        for cell in row:
            assert _is_number(cell) or not cell.startswith(FORMULA_STARTS), f"{cell!r} would run as a formula"


def test_score_cells_stay_numbers_even_when_negative(formula_batch, tmp_path):
    from grader import course, gradebook

    document = json.loads(next((formula_batch / "results").glob("*.json")).read_text())
    document["score"] = -5.0
    document["tests"][0]["score"] = -2.5
    document["extra_data"]["student_id"] = "-5"
    rubric = course.load(REPO, "layers").rubric
    gradebook.write_grades(tmp_path / "grades.csv", rubric, [document])
    header, row = _csv_rows(tmp_path / "grades.csv")
    cells = dict(zip(header, row))
    assert cells["score"] == "-5" and cells[document["tests"][0]["extra_data"]["item"]] == "-2.5"
    assert cells["student_id"] == "'-5", "an id is text even when it reads like a number"


def test_formula_in_a_student_id_reaches_changes_csv_as_text(formula_batch, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(formula_batch, out)
    run_batch(HOSTILE_IDS / "formulas_in_gradescope_ids", out, sandbox_backend="subprocess", resume=True,
              limits=SHORT_LIMITS.replace(call_timeout=1.25))  # a new setting: everyone is regraded
    header, *body = _csv_rows(out / "changes.csv")
    assert sorted(row[header.index("student_id")] for row in body) == sorted("'" + i for i in FORMULA_IDS)
    assert all(_is_number(cell) or not cell.startswith(FORMULA_STARTS) for row in body for cell in row)


def test_results_json_keeps_hostile_ids_exactly_under_safe_file_names(formula_batch):
    files = sorted((formula_batch / "results").iterdir())
    documents = [json.loads(path.read_text()) for path in files]
    assert sorted(d["extra_data"]["student_id"] for d in documents) == sorted(FORMULA_IDS)
    summary = json.loads((formula_batch / "summary.json").read_text())
    assert summary["students"] == len(FORMULA_IDS)
    for path in files:
        assert path.parent == formula_batch / "results"
        assert path.name[0] not in ".-", f"{path.name}: hidden, or read as an option by `rm *`"
        assert all(c.isalnum() or c in "._-" for c in path.name), path.name


def test_result_files_of_ids_that_differ_only_in_case_differ_even_ignoring_case():
    names = batch.result_names(["Bob", "bob", "BOB", "alice", "CON"])
    assert len({name.casefold() for name in names.values()}) == 5, "on macOS and Windows, one would overwrite another"
    assert names["alice"] == "alice.json"
    assert not names["CON"].upper().startswith("CON."), "CON is the console on Windows"


def _run_in_a_terminal(command: list[str], env: dict, timeout: float = 120) -> str:
    """What ``command`` shows on a terminal (a pseudo-terminal: progress bars draw as for a TA)."""
    import pty
    import select

    master, slave = pty.openpty()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every writer has closed the terminal
                    data = b""
                if not data:
                    break
                chunks.append(data)
        else:
            process.kill()
            pytest.fail("the batch did not finish")
        process.wait(timeout=30)
    finally:
        os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminal")
def test_escape_sequences_in_student_ids_never_reach_the_terminal(tmp_path):
    command = [sys.executable, "-m", "grader.cli", "batch", str(HOSTILE_IDS / "escape_sequences_in_gradescope_ids"),
               "-a", "layers", "-o", str(tmp_path / "out"), "--course", str(REPO), "--timeout", "1.5",
               "--sandbox", "subprocess", "-j", "2"]
    shown = _run_in_a_terminal(command, _env())
    assert "4 students (gradescope layout): 4 graded" in shown
    for attack in ("\x1b[32m", "\x1b[2J", "\x1b[31m", "\rALL GRADED OK", "\x9b", "\x07", "\u202e"):
        assert attack not in shown, f"{attack!r} reached the terminal"
    # What the TA sees instead: the odd ids, visibly escaped, in the progress bar and the skipped entry.
    for printable in ("\\x1b[32mALL GRADED OK\\x1b[0m", "s2\\x0dALL GRADED OK", "s3\\x9b2J\\x07",
                      "s4\\u202eexe.txt@example.edu"):
        assert printable in shown, f"the progress bar shows {printable}"
    assert "note: submission_\\x1b[2J\\x1b[31mno folder: no folder or no submitter" in shown
    documents = [json.loads(p.read_text()) for p in (tmp_path / "out" / "results").iterdir()]
    assert "\x1b[32mALL GRADED OK\x1b[0m" in {d["extra_data"]["student_id"] for d in documents}, \
        "the result keeps the id exactly"


def test_a_duplicate_hostile_id_is_reported_without_its_escape_sequence(tmp_path):
    from grader.layout import LayoutError

    with pytest.raises(LayoutError) as caught:
        run_batch(HOSTILE_IDS / "two_submissions_for_one_escape_sequence_id", tmp_path / "out",
                  sandbox_backend="subprocess")
    assert "several submissions for student(s) \\x1b[2Jtwin" in str(caught.value)
    assert "\x1b" not in str(caught.value)


def test_html_report_shows_markup_in_a_student_id_as_text(tmp_path):
    out = tmp_path / "out"
    summary = run_batch(HOSTILE_IDS / "markup_in_a_gradescope_id_that_times_out", out, sandbox_backend="subprocess",
                        limits=SHORT_LIMITS.replace(import_timeout=0.5))
    assert summary.timeouts == 1
    page = (out / "report.html").read_text()
    problems = page.split('id="problems"')[1]
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in problems
    assert "<img" not in page and "<script" not in page


# --- Resume keys (issue 9, gap 11): a result is reused only under the settings it was graded with.

SLOW_IMPORT = "import time\ntime.sleep(0.8)  # imports in 0.8 s: fine at a 1.5 s limit, a timeout at 0.4 s\n\n"


def test_resume_regrades_a_student_who_timed_out_under_a_shorter_timeout(tmp_path):
    submissions = tmp_path / "submissions"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "alice" / "layers.py").write_text(SLOW_IMPORT + REFERENCE.read_text())
    out = tmp_path / "out"
    run_batch(submissions, out, sandbox_backend="subprocess", limits=SHORT_LIMITS.replace(import_timeout=0.4))
    assert grades(out)["alice"]["score"] == "0"
    summary = run_batch(submissions, out, sandbox_backend="subprocess", resume=True, limits=SHORT_LIMITS)
    assert summary.reused == 0
    assert grades(out)["alice"]["score"] == "100"
    with open(out / "changes.csv", newline="") as f:
        assert [(r["student_id"], r["old_score"], r["new_score"]) for r in csv.DictReader(f)] == \
            [("alice", "0", "100")]


def _changed_limit(tmp_path):
    return {"limits": SHORT_LIMITS.replace(address_space_bytes=SHORT_LIMITS.address_space_bytes + 1024 * 1024)}


def _changed_backend(tmp_path):
    from grader.sandbox import bwrap_path

    if bwrap_path() is None:
        pytest.skip("bubblewrap (bwrap) is not installed")
    return {"sandbox_backend": "bwrap"}


def _changed_secret(tmp_path):
    (tmp_path / "new-secret").write_text("a new course secret\n")
    return {"secret_file": tmp_path / "new-secret"}


def _result_from_before_resume_keys(tmp_path):
    shutil.rmtree(tmp_path / "out" / "resume", ignore_errors=True)  # what an older nngrade left: no keys
    return {}


@pytest.mark.parametrize("change", [_changed_limit, _changed_backend, _changed_secret, _result_from_before_resume_keys],
                         ids=["a-limit", "the-backend", "the-secret", "no-key"])
def test_resume_regrades_a_result_graded_under_other_settings(tmp_path, change):
    submissions = make_class(tmp_path, {"frank": STARTER})
    out = tmp_path / "out"
    run_batch(submissions, out, sandbox_backend="subprocess")
    assert run_batch(submissions, out, sandbox_backend="subprocess", resume=True).reused == 1, "same settings: reused"
    settings = {"sandbox_backend": "subprocess", **change(tmp_path)}
    summary = run_batch(submissions, out, resume=True, **settings)
    assert summary.reused == 0 and summary.graded == 1
    with open(out / "changes.csv", newline="") as f:
        assert [r["student_id"] for r in csv.DictReader(f)] == ["frank"]
    document = json.loads((out / "results" / "frank.json").read_text())
    assert document["extra_data"]["sandbox"] == settings["sandbox_backend"]
    secret = (tmp_path / "new-secret").read_text().strip() if "secret_file" in settings else SECRET
    assert document["extra_data"]["seed"] == batch.student_seed(secret.encode(), "layers", "frank")
    assert run_batch(submissions, out, resume=True, **settings).reused == 1, "and reused at the new settings"
    for path in out.rglob("*"):
        assert not path.is_file() or secret.encode() not in path.read_bytes(), f"{path} holds the course secret"


# --- Issue 11: late penalties from the dates the LMS recorded; statuses a TA can filter on;
# groups, skipped entries and Canvas resubmissions never silent.

DUE = "2026-11-20T23:59:00+00:00"
NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
# {Canvas file name: (content, the date Canvas gives its entry in the zip, UTC)}
CANVAS_CLASS = {
    "a_1001_5001_layers.py": (REFERENCE.read_text(), (2026, 11, 20, 22, 0, 0)),              # on time
    "b_LATE_1002_5002_layers.py": (REFERENCE.read_text(), (2026, 11, 22, 11, 0, 0)),         # 2 days late
    "c_LATE_1003_5003_layers.py": (STARTER.read_text(), (2026, 11, 20, 20, 0, 0)),           # replaced by:
    "c_LATE_1003_5004_layers-1.py": (REFERENCE.read_text(), (2026, 11, 21, 10, 0, 0)),       # 1 day late
    "d_1004_5005_layers.py": ("import torch_is_not_installed_here\n", (2026, 11, 20, 9, 0, 0)),
    "e_1005_5006_layers.py": (REFERENCE.read_text(), (2026, 11, 20, 9, 0, 0)),
    "e_1005_5007_layers.ipynb": (NOTEBOOK, (2026, 11, 20, 9, 0, 0)),
}
EXPECTED_LATE = {"1001": (0, 0), "1002": (2, 20), "1003": (1, 10), "1004": (0, 0), "1005": (0, 0)}


def _course_with_late_policy(root: Path) -> Path:
    course = root / "course"
    for folder in ("assignments", "solutions", "rubrics"):
        shutil.copytree(REPO / folder, course / folder)
    (course / "course.json").write_text(json.dumps({"schema_version": 1, "assignments": {"layers": {
        "due": DUE, "late_policy": {"kind": "percent_per_day", "percent_per_day": 10, "max_percent": 50}}}}))
    return course


def _penalties(out: Path) -> dict:
    """{student: (days late, penalty percent)}, after checking score = raw - raw * percent."""
    found = {}
    for student, row in grades(out).items():
        raw, penalty, final = float(row["raw_score"]), float(row["late_penalty"]), float(row["score"])
        document = json.loads((out / "results" / f"{student}.json").read_text())
        percent = document["extra_data"]["late"]["penalty_percent"]
        assert penalty == pytest.approx(raw * percent / 100) and final == pytest.approx(raw - penalty), student
        found[student] = (int(row["days_late"]), percent)
    return found


@pytest.fixture(scope="module")
def canvas_class(tmp_path_factory):
    """The Canvas zip above, graded once straight from the zip (read only for the tests below)."""
    import zipfile

    root = tmp_path_factory.mktemp("canvas-class")
    course = _course_with_late_policy(root)
    archive = root / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, (text, when) in CANVAS_CLASS.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), text)
    summary = run_batch(archive, root / "out", course=course, sandbox_backend="subprocess")
    return {"root": root, "course": course, "archive": archive, "out": root / "out", "summary": summary}


def test_late_penalties_from_a_canvas_zip_use_the_dates_in_the_zip(canvas_class):
    out, summary = canvas_class["out"], canvas_class["summary"]
    assert _penalties(out) == EXPECTED_LATE
    table = grades(out)
    assert float(table["1003"]["raw_score"]) == float(table["1001"]["raw_score"]) > 0, "layers-1.py was graded"
    charged = float(table["1002"]["late_penalty"]) + float(table["1003"]["late_penalty"])
    assert summary.late_students == 2 and summary.late_points == pytest.approx(charged)
    assert f"2 charged a late penalty ({charged:g} points in total)" in summary.line()
    assert summary.warnings == [], "dates from the zip itself need no warning"


def test_a_canvas_resubmission_is_graded_from_the_latest_file_and_the_result_says_so(canvas_class):
    document = json.loads((canvas_class["out"] / "results" / "1003.json").read_text())
    assert "graded the latest by Canvas's numbering, layers-1.py; left out layers.py" in document["output"]
    assert "late by 1 day(s)" in document["output"]


def test_submissions_that_cannot_be_graded_are_submission_errors_counted_everywhere(canvas_class):
    out, summary = canvas_class["out"], canvas_class["summary"]
    table = grades(out)
    assert {s: r["status"] for s, r in table.items()} == {
        "1001": "graded", "1002": "graded", "1003": "graded", "1004": "submission_error", "1005": "submission_error"}
    assert summary.statuses == {"graded": 3, "submission_error": 2, "grader_error": 0}
    assert "3 graded, 2 submission errors, 0 grader errors" in summary.line()
    written = json.loads((out / "summary.json").read_text())
    assert written["statuses"] == summary.statuses
    reasons = {e["student_id"]: e["reason"] for e in written["submission_errors"]}
    assert "torch_is_not_installed_here" in reasons["1004"] and "both layers.py and layers.ipynb" in reasons["1005"]
    assert written["late_penalties"]["students"] == 2


def _unzip(archive: Path, into: Path, *, keep_dates: bool) -> Path:
    """A folder copy of the zip: with each file dated as in the zip (``unzip`` in UTC, ``cp -p``),
    or with the time of the copy (``cp`` without ``-p``)."""
    import zipfile

    with zipfile.ZipFile(archive) as zf:
        zf.extractall(into)
        if keep_dates:
            for info in zf.infolist():
                stamp = dt.datetime(*info.date_time, tzinfo=dt.timezone.utc).timestamp()
                os.utime(into / info.filename, (stamp, stamp))
    return into


def test_late_penalties_from_a_folder_copy_of_the_canvas_zip_are_the_same_and_the_summary_warns(canvas_class,
                                                                                                 tmp_path):
    folder = _unzip(canvas_class["archive"], tmp_path / "canvas", keep_dates=True)
    out = tmp_path / "out"
    shutil.copytree(canvas_class["out"], out)  # resumed: nobody is regraded, penalties are applied anew
    summary = run_batch(folder, out, course=canvas_class["course"], sandbox_backend="subprocess", resume=True)
    assert summary.reused == 5
    assert _penalties(out) == EXPECTED_LATE
    assert any(w.startswith("LATE PENALTIES FROM FILE TIMES: 5 submission(s)") for w in summary.warnings)
    assert json.loads((out / "summary.json").read_text())["warnings"] == summary.warnings


def test_a_canvas_folder_whose_dates_were_lost_in_copying_charges_only_whom_canvas_marked_late(canvas_class,
                                                                                               tmp_path):
    folder = _unzip(canvas_class["archive"], tmp_path / "canvas", keep_dates=False)  # every file: now
    out = tmp_path / "out"
    shutil.copytree(canvas_class["out"], out)
    summary = run_batch(folder, out, course=canvas_class["course"], sandbox_backend="subprocess", resume=True)
    late = _penalties(out)
    assert {s for s, (days, _) in late.items() if days} == {"1002", "1003"}, "no LATE marker: never charged"
    assert any("LATE PENALTIES FROM FILE TIMES" in w for w in summary.warnings)
    document = json.loads((out / "results" / "1001.json").read_text())
    assert "Canvas did not mark this submission late" in document["output"]


def test_every_submitter_of_a_gradescope_group_gets_a_row_and_unmatched_entries_fail_the_batch(tmp_path):
    from click.testing import CliRunner

    from grader.cli import main

    export = tmp_path / "export"
    for folder in ("submission_1", "submission_9"):
        (export / folder).mkdir(parents=True)
        shutil.copyfile(REFERENCE, export / folder / "layers.py")
    (export / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Ada\n    :sid: 'A1'\n  - :name: Alan\n    :sid: 'A2'\n"
        "  :created_at: 2026-11-20 10:00:00 +00:00\n")
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["batch", str(export), "-a", "layers", "-o", str(out), "--course", str(REPO),
                                    "--timeout", "1.5", "--sandbox", "subprocess", "-j", "1"], env=_env())
    assert run.exit_code == 1, run.output
    assert "note: submission_9: not listed in submission_metadata.yml; skipped" in run.stdout
    assert "incomplete: 1 of 2 entries (50%) matched no student, more than the 10% allowed" in run.stderr
    table = grades(out)
    assert sorted(table) == ["A1", "A2"] and table["A1"]["score"] == table["A2"]["score"]
    a2 = json.loads((out / "results" / "A2.json").read_text())
    assert a2["extra_data"]["student_id"] == "A2" and "group submission of A1, A2" in a2["output"]
    written = json.loads((out / "summary.json").read_text())
    assert written["skipped"] == [{"entry": "submission_9", "reason": "not listed in submission_metadata.yml"}]
    assert written["unmatched"]["exceeded"] is True and written["students"] == 2


def test_gc_callbacks_are_suspended_while_a_submission_is_graded_and_restored_after():
    import gc

    from grader import runner
    calls = []

    def callback(phase, info):
        calls.append(phase)
    gc.callbacks.append(callback)
    try:
        with runner._without_gc_callbacks():
            gc.collect()
            assert calls == []
        gc.collect()
        assert calls and callback in gc.callbacks
    finally:
        gc.callbacks.remove(callback)
