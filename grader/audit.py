"""``grade audit``: how good an assignment's hidden tests are, measured before students are.

Per rubric item, two numbers:

**recall**
    the share of plausible bugs in the item's scope that lose it: generated mutants and the
    catalogued real mistakes (hand-written mutants whose items their docstrings name). Mutants of the reference
    (:mod:`grader.mutation`, one change each) are graded through the normal engine, in the
    sandbox, with a fresh seed each, as if students had submitted them. Which items a mutant
    *should* lose is decided apart from the tests' checks: the calls the hidden tests make to
    the student's functions are recorded once, on the reference, and replayed in this process
    on the mutant and on every correct form (the reference and the catalogued variants); a
    mutant is in an item's scope when on some recorded call of that item's tests its output
    (or, for an ``inputs`` item, its arguments after the call) matches no correct form
    (:mod:`grader.probe`). A mutant in no item's scope is *equivalent* and never counts.
**precision**
    correct variants that keep the item / variants. The catalog
    (``rubrics/<name>/catalog/variants``) holds correct solutions written the ways students
    write them; ``catalog/mistakes`` holds real mistakes, each naming in its docstring
    (``loses: item: phrase | phrase``) the items it must lose, and it must lose exactly those.

It also calibrates tolerances: per comparison of the hidden tests, the largest relative
error of a correct form (``noise``) against the smallest of a killed mutant that failed it
(``nearest_bug``), with a warning when the tolerance sits too close to either.

Everything is graded by a pool of ``jobs`` grader processes (the same machinery as
``grade batch``); replays run in those processes, and reference and variant replays are
computed once per process and reused across mutants.
"""

from __future__ import annotations

import ast
import concurrent.futures as futures
import dataclasses
import datetime
import hashlib
import math
import multiprocessing
import pickle
import re
import shutil
import signal
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable

from grader import __version__, comparison, course, grading, lifeline, mutation, mutators, probe, schema
from grader.failure import GraderError
from grader.limits import Limits

# Why 95% / 100%: a suite that misses one plausible bug in twenty hands out free points
# rarely enough to be signed; a suite that rejects any correct variant causes a regrade.
DEFAULT_MIN_RECALL = 0.95
DEFAULT_MIN_PRECISION = 1.0
# Why 5: below five plausible bugs in its scope an item's recall is too coarse to mean anything.
MIN_MUTANTS = 5
# Why: a tolerance should sit at least 100x above the correct forms' spread (``tight``
# otherwise) and at least 10x below the closest bug the tests caught (``loose`` otherwise).
TIGHT_MARGIN = 100.0
LOOSE_MARGIN = 10.0
# Why: a replayed call of course code takes milliseconds; a mutant that loops gets this long.
REPLAY_TIMEOUT = 5.0


@dataclasses.dataclass(frozen=True)
class Entry:
    """One thing graded by the audit: a mutant, a variant or a known mistake."""

    kind: str  # "mutant", "variant", "mistake"
    name: str
    folder: Path
    seed: int
    function: str = ""  # mutants: the function changed


def expectations(path: Path) -> dict[str, tuple[str, ...]]:
    """{item: phrases its feedback must hold} from a catalogued mistake's ``loses:`` lines."""
    doc = ast.get_docstring(ast.parse(Path(path).read_text())) or ""
    lost = {}
    for line in doc.splitlines():
        if line.strip().startswith("loses:"):
            item, _, phrases = line.strip()[len("loses:"):].partition(":")
            lost[item.strip()] = tuple(p.strip() for p in phrases.split("|") if p.strip())
    return lost


def catalog_entries(assignment: course.Assignment, kind: str) -> list[Path]:
    folder = assignment.catalog / kind
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def _defines(path: Path, functions: list[str]) -> bool:
    """Whether a catalog entry writes its own version of one of ``functions``."""
    try:
        tree = ast.parse(Path(path).read_text())
    except SyntaxError:
        return True
    return any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in functions for node in tree.body)


def _course_modules(root: Path) -> dict[str, Path]:
    modules = {}
    for name in course.names(root):
        try:
            other = course.load(root, name)
        except GraderError:
            continue
        modules[other.module] = other.solution
    return modules


def _stage(folder: Path, module: str, source: str, assignment: course.Assignment, modules: dict[str, Path]) -> Path:
    """A submission folder as a student hands it in: ``source`` as the module, the reference as
    ``correct_<module>.py`` (catalog entries may build on it), and the reference of every course
    module it requires or imports."""
    folder.mkdir(parents=True)
    (folder / f"{module}.py").write_text(source)
    shutil.copyfile(assignment.solution, folder / f"correct_{module}.py")
    wanted = set(assignment.required_modules())
    try:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                wanted |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                wanted.add(node.module.split(".")[0])
    except SyntaxError:
        pass
    for name in wanted & set(modules) - {module}:
        shutil.copyfile(modules[name], folder / f"{name}.py")
    return folder


# -- the grader processes ---------------------------------------------------------------------
@dataclasses.dataclass
class _Context:
    """What every grader process of one audit needs (sent once, through the pool initializer)."""

    course_root: Path
    assignment: str
    limits: Limits
    backend: str
    reference_folder: Path
    variant_folders: list[Path]
    probes: list[probe.Probe]
    names: dict
    scopes: dict  # {item: probe.Scope}
    public: set


_CONTEXT: _Context | None = None
_FORMS: list | None = None       # loaded correct forms, this process
_REPLAYS: dict = {}              # probe index -> every correct form's outcomes, this process


def _initialize(context_file: str) -> None:
    global _CONTEXT, _FORMS
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lifeline.die_with_parent()
    # The context was pickled by the audit's own process from the reference run's recorded
    # calls (plain data the tests built), never from bytes a worker produced.
    with open(context_file, "rb") as handle:
        _CONTEXT = pickle.load(handle)
    _FORMS = None
    _REPLAYS.clear()


def _forms() -> list:
    global _FORMS
    if _FORMS is None:
        module = course.load(_CONTEXT.course_root, _CONTEXT.assignment).module
        _FORMS = [probe.load(folder / f"{module}.py", name=f"_nngrade_audit_form_{k}")
                  for k, folder in enumerate([_CONTEXT.reference_folder, *_CONTEXT.variant_folders])]
    return _FORMS


def _form_replays(index: int) -> list[list]:
    """Every correct form's replay of probe ``index`` (the reference's first), once per process."""
    if index not in _REPLAYS:
        _REPLAYS[index] = [probe.replay(form, _CONTEXT.probes[index], timeout=REPLAY_TIMEOUT) for form in _forms()]
    return _REPLAYS[index]


def _expected_items(entry: Entry, module_file: Path) -> list[str]:
    """The items in whose scope the mutant changes something observable (see module doc)."""
    context = _CONTEXT
    source = module_file.read_text()
    reached = probe.affected(source, entry.function) & context.public
    mutant = probe.load(module_file, name=f"_nngrade_audit_mutant_{abs(hash(entry.name))}")
    expected = []
    replays: dict[int, list] = {}
    for item, scope in context.scopes.items():
        for index, recorded in enumerate(context.probes):
            if recorded.item != item or not scope.covers(recorded.test) \
                    or not any(c.function in reached for c in recorded.calls):
                continue
            if index not in replays:
                replays[index] = probe.replay(mutant, recorded, timeout=REPLAY_TIMEOUT)
            forms = _form_replays(index)
            # Quick path: what the reference gives is always correct.
            if not probe.differs(scope, recorded, replays[index], forms[:1], context.names):
                continue
            if probe.differs(scope, recorded, replays[index], forms, context.names):
                expected.append(item)
                break
    # An edge item (``unless:``) is about what the items it names do not already see.
    return [item for item in expected if not set(context.scopes[item].unless) & set(expected)]


def _grade_entry(entry: Entry) -> dict:
    """Grade one entry in this grader process (and, for a mutant, find its expected items)."""
    context = _CONTEXT
    assignment = course.load(context.course_root, context.assignment)
    recorder = probe.Recorder(keep_calls=False)
    with comparison.observing(recorder.check):
        document = grading.grade(assignment=assignment, submission=entry.folder, seed=entry.seed,
                                 limits=context.limits, backend=context.backend, observer=recorder)
    answer = {"document": document, "checks": _checks(recorder), "expected": None, "detail": ""}
    if entry.kind == "mutant":
        try:
            answer["expected"] = _expected_items(entry, entry.folder / f"{assignment.module}.py")
        except Exception as exc:  # noqa: BLE001 - a mutant that cannot even be loaded here is unjudged
            answer["detail"] = f"could not be replayed: {type(exc).__name__}: {str(exc)[:300]}"
    return answer


# A number in a check's name (a step, a seed, an input's value) does not make it another check.
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _checks(recorder: probe.Recorder) -> list[tuple[str, str, float, float]]:
    """(test without its parameters, check name with numbers as #, rtol, relative error) of
    every comparison."""
    found = []
    for recorded in recorder.probes:
        test = re.sub(r"\[.*\]$", "", recorded.test)
        for name, rtol, error in recorded.checks:
            found.append((test, _NUMBER.sub("#", name)[:200], rtol, error))
    return found


# -- the audit --------------------------------------------------------------------------------
def _lost(document: dict) -> list[str]:
    return sorted({t["extra_data"]["item"] for t in document["tests"] if t["score"] < t["max_score"]})


def _messages(document: dict, items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for test in document["tests"]:
        item = test["extra_data"]["item"]
        if item in items and item not in out:
            out[item] = (test.get("output") or "")[:2000]
    return out


def _record_reference(assignment: course.Assignment, folder: Path, *, seed: int, limits: Limits,
                      backend: str) -> tuple[probe.Recorder, dict]:
    recorder = probe.Recorder()
    with comparison.observing(recorder.check):
        document = grading.grade(assignment=assignment, submission=folder, seed=seed, limits=limits,
                                 backend=backend, observer=recorder)
    status = document["extra_data"]["status"]
    if status != "graded" or document["score"] != assignment.rubric.max_score:
        lost = ", ".join(_lost(document)) or "; ".join(document["extra_data"]["grader_errors"])[:500]
        raise GraderError(f"the reference solution of {assignment.name} does not get full marks at seed {seed} "
                          f"({status}: {lost}); run `grade validate -a {assignment.name}` first")
    return recorder, document


def _scopes(assignment: course.Assignment, probes: list[probe.Probe], names: dict) -> dict:
    scopes = {}
    for item in assignment.rubric.items:
        if item.audit_scope:
            try:
                scopes[item.id] = probe.parse_scope(list(item.audit_scope), names)
            except ValueError as exc:
                index = [i.id for i in assignment.rubric.items].index(item.id)
                raise GraderError(f"{assignment.rubric.path}: /items/{index}/audit_scope: {exc}") from None
        else:
            called = {c.function for p in probes if p.item == item.id for c in p.calls}
            scopes[item.id] = probe.derive_scope(item.id, called, names)
    return scopes


def inputs_sha256(assignment: course.Assignment) -> str:
    """A hash of everything an audit's figures depend on: the rubric and tests (rubric_sha256),
    the reference, the catalog and the mutation operators. A committed audit summary whose
    hash differs from the course's is stale."""
    digest = hashlib.sha256(assignment.rubric_sha256().encode())
    paths = [assignment.solution, *catalog_entries(assignment, "variants"), *catalog_entries(assignment, "mistakes"),
             Path(mutation.__file__), Path(mutators.__file__)]
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def run(*, course_root: Path, assignment: str, seed: int, limits: Limits, backend: str, jobs: int,
        min_recall: float = DEFAULT_MIN_RECALL, min_precision: float = DEFAULT_MIN_PRECISION,
        min_mutants: int = MIN_MUTANTS, per_function: int | None = None,
        functions: list[str] | None = None, on_progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Audit ``assignment`` and return the report document (``audit.schema.json``)."""
    started = time.monotonic()
    graded = course.load(course_root, assignment)
    module = graded.module
    modules = _course_modules(course_root)
    source = graded.solution.read_text()
    names = probe.output_names(source)
    tree = ast.parse(source)
    public = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    work = Path(tempfile.mkdtemp(prefix="nngrade-audit-"))
    try:
        reference_folder = _stage(work / "forms" / "reference", module, source, graded, modules)
        recorder, _ = _record_reference(graded, reference_folder, seed=seed, limits=limits, backend=backend)
        probes = [p for p in recorder.probes if p.item and p.calls]
        scopes = _scopes(graded, probes, names)
        entries: list[Entry] = []
        variant_folders = []
        for kind, plural in (("variant", "variants"), ("mistake", "mistakes")):
            for path in catalog_entries(graded, plural):
                if functions and not _defines(path, functions):
                    continue  # a partial audit: only the entries that write one of its functions
                folder = _stage(work / plural / path.stem, module, path.read_text(), graded, modules)
                entries.append(Entry(kind, path.stem, folder, seed))
                if kind == "variant":
                    variant_folders.append(folder)
        mutants = mutation.mutants(source, filename=f"{module}.py", functions=functions, per_function=per_function)
        by_id = {m.id: m for m in mutants}
        for k, mutant in enumerate(mutants):
            folder = _stage(work / "mutants" / mutant.id.replace("/", "--"), module, mutant.source, graded, modules)
            entries.append(Entry("mutant", mutant.id, folder, seed + 1 + k, mutant.function))
        context = _Context(course_root, assignment, limits, backend, reference_folder, variant_folders,
                           probes, names, scopes, public)
        context_file = work / "context.pickle"
        context_file.write_bytes(pickle.dumps(context))
        answers = _grade_all(entries, context_file, jobs, on_progress)
        document = _report(graded, entries, answers, by_id, recorder, seed=seed, min_recall=min_recall,
                           min_precision=min_precision, min_mutants=min_mutants)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    document["summary"]["seconds"] = round(time.monotonic() - started, 1)
    document["summary"]["line"] += f" in {document['summary']['seconds']:g} s"
    problems = schema.errors("audit", document)
    if problems:
        raise GraderError("the audit report does not follow audit.schema.json: " + "; ".join(problems[:5]))
    return document


def _grade_all(entries: list[Entry], context_file: Path, jobs: int, on_progress) -> dict[str, dict]:
    answers: dict[str, dict] = {}
    # spawn: never fork a process that has threads (pytest, the worker readers).
    with futures.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn"),
                                     initializer=_initialize, initargs=(str(context_file),)) as pool:
        pending = {pool.submit(_grade_entry, entry): entry for entry in entries}
        for done, future in enumerate(futures.as_completed(pending), start=1):
            entry = pending[future]
            try:
                answers[f"{entry.kind}:{entry.name}"] = future.result()
            except Exception as exc:  # noqa: BLE001 - one entry's failure is reported, not fatal
                answers[f"{entry.kind}:{entry.name}"] = {"document": None, "checks": [], "expected": None,
                                                         "detail": f"grader error: {type(exc).__name__}: {exc}"}
            if on_progress:
                on_progress(done, len(entries), entry.name)
    return answers


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _report(graded: course.Assignment, entries: list[Entry], answers: dict, by_id: dict,
            recorder: probe.Recorder, *, seed: int, min_recall: float, min_precision: float,
            min_mutants: int) -> dict:
    item_ids = [i.id for i in graded.rubric.items]
    rows = {i.id: {"id": i.id, "points": i.points, "mutants": 0, "killed": 0, "recall": None, "variants": 0,
                   "accepted": 0, "precision": None, "mistakes": 0, "mistakes_caught": 0, "survivors": [],
                   "rejected": [], "passed": False, "problems": []} for i in graded.rubric.items}
    mutant_rows, variant_rows, mistake_rows, warnings_out = [], [], [], []
    noise: dict[tuple, float] = {}
    bugs: dict[tuple, float] = {}
    rtols: dict[tuple, float] = {}

    def note_checks(checks, kind):
        for test, name, rtol, error in checks:
            if not math.isfinite(rtol):
                continue  # a check of shape and finiteness only (rtol=inf): no tolerance to calibrate
            key = (test, name)
            rtols[key] = rtol
            # A check a correct form failed was caught by its test (one of two accepted
            # conventions tried first): only the checks it passed measure its spread.
            if kind == "correct" and math.isfinite(error) and error <= rtol:
                noise[key] = max(noise.get(key, 0.0), error)
            elif kind == "bug" and error > rtol and math.isfinite(error):
                bugs[key] = min(bugs.get(key, float("inf")), error)

    note_checks(_checks(recorder), "correct")
    for entry in entries:
        answer = answers.get(f"{entry.kind}:{entry.name}", {"document": None, "checks": [], "expected": None,
                                                            "detail": "not graded"})
        document = answer["document"]
        broken = document is None or document["extra_data"]["status"] == "grader_error"
        detail = answer["detail"] or ("" if document is None else
                                      "; ".join(document["extra_data"]["grader_errors"])[:1000])
        lost = [] if document is None else _lost(document)
        if entry.kind == "variant":
            if broken:
                warnings_out.append(f"variant {entry.name} could not be graded: {detail}")
                continue
            note_checks(answer["checks"], "correct")
            messages = _messages(document, lost)
            variant_rows.append({"name": entry.name, "score": document["score"], "max_score": graded.rubric.max_score,
                                 "lost": lost, "messages": messages})
            for item in item_ids:
                rows[item]["variants"] += 1
                if item in lost:
                    rows[item]["rejected"].append({"variant": entry.name, "message": messages.get(item, "")})
                else:
                    rows[item]["accepted"] += 1
        elif entry.kind == "mistake":
            wanted = expectations(graded.catalog / "mistakes" / f"{entry.name}.py")
            ok, why = not broken and set(lost) == set(wanted), []
            if broken:
                why.append(f"could not be graded: {detail}")
            else:
                if set(wanted) - set(lost):
                    why.append("kept " + ", ".join(sorted(set(wanted) - set(lost))))
                if set(lost) - set(wanted):
                    why.append("also lost " + ", ".join(sorted(set(lost) - set(wanted))))
                messages = _messages(document, list(wanted))
                missing = [f"{item}: no {phrase!r}" for item, phrases in wanted.items() for phrase in phrases
                           if item in lost and phrase not in messages.get(item, "")]
                if missing:
                    ok = False
                    why.append("hint missing (" + "; ".join(missing) + ")")
            if not wanted:
                ok = False
                why.append("its docstring names no 'loses: item: phrase' line")
            mistake_rows.append({"name": entry.name, "expected": sorted(wanted), "lost": lost, "ok": ok,
                                 "detail": "; ".join(why)})
            for item in wanted:
                if item in rows:
                    rows[item]["mistakes"] += 1
                    if item in lost:
                        rows[item]["mistakes_caught"] += 1
                    if not ok:
                        rows[item]["problems"].append(f"known mistake {entry.name}: {'; '.join(why)}")
        else:
            mutant = by_id[entry.name]
            expected = answer["expected"]
            if broken or expected is None:
                status = "unjudged"
            elif not expected:
                status = "equivalent"
            else:
                status = "killed" if set(expected) <= set(lost) else "survived"
                note_checks(answer["checks"], "bug")
                for item in expected:
                    rows[item]["mutants"] += 1
                    if item in lost:
                        rows[item]["killed"] += 1
                    else:
                        rows[item]["survivors"].append(mutant.id)
            mutant_rows.append({"id": mutant.id, "function": mutant.function, "operator": mutant.operator,
                                "description": mutant.description, "line": mutant.line, "diff": mutant.diff,
                                "status": status, "seed": entry.seed, "lost": lost, "expected": sorted(expected or []),
                                "only_own": set(lost) <= set(expected or []), "detail": detail})
    for row in rows.values():
        # Catalogued mistakes are hand-written mutants: plausible bugs whose items are known.
        plausible = row["mutants"] + row["mistakes"]
        row["recall"] = _ratio(row["killed"] + row["mistakes_caught"], plausible)
        row["precision"] = _ratio(row["accepted"], row["variants"])
        if plausible < min_mutants:
            row["problems"].append(f"only {plausible} plausible bugs in its scope ({row['mutants']} non-equivalent "
                                   f"mutants, {row['mistakes']} catalogued mistakes; < {min_mutants})")
        if row["recall"] is not None and row["recall"] < min_recall:
            row["problems"].append(f"recall {row['recall']:.0%} < {min_recall:.0%}")
        if row["precision"] is None:
            row["problems"].append("no correct variant in the catalog")
        elif row["precision"] < min_precision:
            row["problems"].append(f"precision {row['precision']:.0%} < {min_precision:.0%}")
        row["passed"] = not row["problems"]
    tolerances = []
    for key in sorted(rtols):
        rtol, quiet, bug = rtols[key], noise.get(key), bugs.get(key)
        verdict, note = "ok", ""
        if quiet is None or bug is None:
            verdict = "unmeasured"
            note = "no correct form reached it" if quiet is None else "no killed mutant failed it"
        elif quiet > 0 and rtol < TIGHT_MARGIN * quiet:
            verdict, note = "tight", f"the tolerance is only {rtol / quiet:.3g}x above the correct forms' largest error"
        elif bug < LOOSE_MARGIN * rtol:
            verdict, note = "loose", f"the nearest caught bug is only {bug / rtol:.3g}x above the tolerance"
        tolerances.append({"test": key[0], "check": key[1], "rtol": rtol, "noise": quiet, "nearest_bug": bug,
                           "verdict": verdict, "note": note})
        if verdict in ("tight", "loose"):
            warnings_out.append(f"{key[0]} / {key[1]}: tolerance {rtol:g} is {verdict}: {note}")
    judged = [m for m in mutant_rows if m["status"] in ("killed", "survived")]
    killed_pairs = sum(row["killed"] + row["mistakes_caught"] for row in rows.values())
    scoped_pairs = sum(row["mutants"] + row["mistakes"] for row in rows.values())
    accepted = sum(row["accepted"] for row in rows.values())
    considered = sum(row["variants"] for row in rows.values())
    passed = all(row["passed"] for row in rows.values()) and all(m["ok"] for m in mistake_rows)
    failing = [row["id"] for row in rows.values() if not row["passed"]]
    bad_mistakes = [m["name"] for m in mistake_rows if not m["ok"]]
    line = (f"{graded.name}: {'PASS' if passed else 'FAIL'}: {len(mutant_rows)} mutants "
            f"({sum(m['status'] == 'equivalent' for m in mutant_rows)} equivalent, "
            f"{sum(m['status'] == 'killed' for m in mutant_rows)} killed, "
            f"{sum(m['status'] == 'survived' for m in mutant_rows)} survived), "
            f"recall {killed_pairs}/{scoped_pairs}, precision {accepted}/{considered} over {len(variant_rows)} variants, "
            f"{len(mistake_rows) - len(bad_mistakes)}/{len(mistake_rows)} known mistakes exact"
            + (f"; items below threshold: {', '.join(failing)}" if failing else "")
            + (f"; mistakes off: {', '.join(bad_mistakes)}" if bad_mistakes else ""))
    return {
        "schema_version": 1, "assignment": graded.name, "grader_version": __version__, "seed": seed,
        "created": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "inputs_sha256": inputs_sha256(graded),
        "thresholds": {"min_recall": min_recall, "min_precision": min_precision, "min_mutants": min_mutants},
        "summary": {"mutants": len(mutant_rows), "equivalent": sum(m["status"] == "equivalent" for m in mutant_rows),
                    "killed": sum(m["status"] == "killed" for m in mutant_rows),
                    "survived": sum(m["status"] == "survived" for m in mutant_rows),
                    "unjudged": sum(m["status"] == "unjudged" for m in mutant_rows),
                    "variants": len(variant_rows), "mistakes": len(mistake_rows),
                    "recall": _ratio(killed_pairs, scoped_pairs), "precision": _ratio(accepted, considered),
                    "passed": passed, "line": line, "seconds": 0.0},
        "items": list(rows.values()), "mutants": mutant_rows, "variants": variant_rows, "mistakes": mistake_rows,
        "tolerances": tolerances, "warnings": warnings_out + ([] if judged else ["no mutant could be judged"]),
    }
