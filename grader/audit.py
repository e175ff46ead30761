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
import hashlib
import multiprocessing
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Callable

from grader import comparison, course, grading, lifeline, mutation, mutators, probe, recall, schema
from grader.scope import affected, derive_scope, differs, output_names, parse_scope
from grader.failure import GraderError
from grader.limits import Limits

# Why 95% / 100%: a suite that misses one plausible bug in twenty hands out free points
# rarely enough to be signed; a suite that rejects any correct variant causes a regrade.
DEFAULT_MIN_RECALL = 0.95
DEFAULT_MIN_PRECISION = 1.0
# Why 5: below five plausible bugs in its scope an item's recall is too coarse to mean anything.
MIN_MUTANTS = 5
# Why: a replayed call of course code takes milliseconds; a mutant that loops gets this long.
REPLAY_TIMEOUT = 5.0


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
    scopes: dict  # {item: grader.scope.Scope}
    public: set


_CONTEXT: _Context | None = None
_FORMS: list | None = None       # loaded correct forms, this process
_REPLAYS: dict = {}              # (form index, probe index) -> outcomes, this process


def _initialize(context: _Context) -> None:
    # The context is the audit's own data (the reference run's recorded calls, which the tests
    # built), pickled to this process by the pool: never bytes a worker produced.
    global _CONTEXT, _FORMS
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lifeline.die_with_parent()
    _CONTEXT, _FORMS = context, None
    _REPLAYS.clear()


def _forms() -> list:
    global _FORMS
    if _FORMS is None:
        module = course.load(_CONTEXT.course_root, _CONTEXT.assignment).module
        _FORMS = [probe.load(folder / f"{module}.py", name=f"_nngrade_audit_form_{k}")
                  for k, folder in enumerate([_CONTEXT.reference_folder, *_CONTEXT.variant_folders])]
    return _FORMS


def _form_replays(index: int, count: int | None = None) -> list[list]:
    """The replays of probe ``index`` by the first ``count`` correct forms (all by default; the
    reference is the first), each made once per process and only when first asked for."""
    forms = _forms()[:count]
    for form_index, form in enumerate(forms):
        if (form_index, index) not in _REPLAYS:
            _REPLAYS[form_index, index] = probe.replay(form, _CONTEXT.probes[index], timeout=REPLAY_TIMEOUT)
    return [_REPLAYS[form_index, index] for form_index in range(len(forms))]


def _expected_items(entry: recall.Entry, module_file: Path) -> list[str]:
    """The items in whose scope the mutant changes something observable (see module doc)."""
    context = _CONTEXT
    source = module_file.read_text()
    reached = affected(source, entry.function) & context.public
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
            # Quick path: what the reference gives is always correct (the variants replay only
            # for a mutant that differs from it).
            if not differs(scope, recorded, replays[index], _form_replays(index, 1), context.names):
                continue
            if differs(scope, recorded, replays[index], _form_replays(index), context.names):
                expected.append(item)
                break
    # An edge item (``unless:``) is about what the items it names do not already see.
    return [item for item in expected if not set(context.scopes[item].unless) & set(expected)]


def _grade_entry(entry: recall.Entry) -> dict:
    """Grade one entry in this grader process (and, for a mutant, find its expected items)."""
    context = _CONTEXT
    assignment = course.load(context.course_root, context.assignment)
    recorder = probe.Recorder(keep_calls=False)
    with comparison.observing(recorder.check):
        document = grading.grade(assignment=assignment, submission=entry.folder, seed=entry.seed,
                                 limits=context.limits, backend=context.backend, observer=recorder)
    answer = {"document": document, "checks": recall.checks(recorder), "expected": None, "detail": ""}
    if entry.kind == "mutant":
        try:
            answer["expected"] = _expected_items(entry, entry.folder / f"{assignment.module}.py")
        except Exception as exc:  # noqa: BLE001 - a mutant that cannot even be loaded here is unjudged
            answer["detail"] = f"could not be replayed: {type(exc).__name__}: {str(exc)[:300]}"
    return answer


def _record_reference(assignment: course.Assignment, folder: Path, *, seed: int, limits: Limits,
                      backend: str) -> tuple[probe.Recorder, dict]:
    recorder = probe.Recorder()
    with comparison.observing(recorder.check):
        document = grading.grade(assignment=assignment, submission=folder, seed=seed, limits=limits,
                                 backend=backend, observer=recorder)
    status = document["extra_data"]["status"]
    if status != "graded" or document["score"] != assignment.rubric.max_score:
        lost = ", ".join(recall.lost_items(document)) or "; ".join(document["extra_data"]["grader_errors"])[:500]
        raise GraderError(f"the reference solution of {assignment.name} does not get full marks at seed {seed} "
                          f"({status}: {lost}); run `grade validate -a {assignment.name}` first")
    return recorder, document


def _scopes(assignment: course.Assignment, probes: list[probe.Probe], names: dict) -> dict:
    scopes = {}
    for item in assignment.rubric.items:
        if item.audit_scope:
            try:
                scopes[item.id] = parse_scope(list(item.audit_scope), names)
            except ValueError as exc:
                index = [i.id for i in assignment.rubric.items].index(item.id)
                raise GraderError(f"{assignment.rubric.path}: /items/{index}/audit_scope: {exc}") from None
        else:
            called = {c.function for p in probes if p.item == item.id for c in p.calls}
            scopes[item.id] = derive_scope(item.id, called, names)
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
    names = output_names(source)
    tree = ast.parse(source)
    public = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    work = Path(tempfile.mkdtemp(prefix="nngrade-audit-"))
    try:
        reference_folder = _stage(work / "forms" / "reference", module, source, graded, modules)
        recorder, _ = _record_reference(graded, reference_folder, seed=seed, limits=limits, backend=backend)
        probes = [p for p in recorder.probes if p.item and p.calls]
        scopes = _scopes(graded, probes, names)
        entries: list[recall.Entry] = []
        variant_folders = []
        for kind, plural in (("variant", "variants"), ("mistake", "mistakes")):
            for path in catalog_entries(graded, plural):
                if functions and not _defines(path, functions):
                    continue  # a partial audit: only the entries that write one of its functions
                folder = _stage(work / plural / path.stem, module, path.read_text(), graded, modules)
                entries.append(recall.Entry(kind, path.stem, folder, seed))
                if kind == "variant":
                    variant_folders.append(folder)
        mutants = mutation.mutants(source, filename=f"{module}.py", functions=functions, per_function=per_function)
        by_id = {m.id: m for m in mutants}
        for k, mutant in enumerate(mutants):
            folder = _stage(work / "mutants" / mutant.id.replace("/", "--"), module, mutant.source, graded, modules)
            entries.append(recall.Entry("mutant", mutant.id, folder, seed + 1 + k, mutant.function))
        context = _Context(course_root, assignment, limits, backend, reference_folder, variant_folders,
                           probes, names, scopes, public)
        answers = _grade_all(entries, context, jobs, on_progress)
        document = recall.report(graded, entries, answers, by_id, recorder, seed=seed,
                                 inputs_digest=inputs_sha256(graded), min_recall=min_recall,
                                 min_precision=min_precision, min_mutants=min_mutants)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    document["summary"]["seconds"] = round(time.monotonic() - started, 1)
    document["summary"]["line"] += f" in {document['summary']['seconds']:g} s"
    problems = schema.errors("audit", document)
    if problems:
        raise GraderError("the audit report does not follow audit.schema.json: " + "; ".join(problems[:5]))
    return document


def _grade_all(entries: list[recall.Entry], context: _Context, jobs: int, on_progress) -> dict[str, dict]:
    answers: dict[str, dict] = {}
    # spawn: never fork a process that has threads (pytest, the worker readers).
    with futures.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn"),
                                     initializer=_initialize, initargs=(context,)) as pool:
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


