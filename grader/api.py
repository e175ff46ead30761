"""The keyword-only API behind the CLI. Every default lives here (limits in :mod:`grader.limits`)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import secrets
import shutil
import tempfile
import warnings
from pathlib import Path

from grader import course as course_module
from grader import sandbox
from grader import result as result_module
from grader.error import GraderError, UsageError
from grader.limits import DEFAULT_LIMITS, Limits

DEFAULT_SANDBOX = "auto"

# UsageError (grader.error): the operator asked for something that cannot be graded (a path that
# does not exist, a timeout of 0): nothing is graded and no result is written; the CLI exits 2.
__all__ = ["UsageError", "run", "validate", "batch", "batch_classes", "class_folders", "audit", "local", "release",
           "starter", "new"]


def check_limits(limits: Limits) -> None:
    """UsageError unless every time limit is a positive, finite number of seconds (a timeout of 0
    or less would time every student out: a zero for the class, not a grade)."""
    for name in ("call_timeout", "import_timeout"):
        value = getattr(limits, name)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise UsageError(f"{name} must be a positive number of seconds, not {value!r}")


def _check_exists(path: Path, what: str) -> None:
    if not Path(path).exists():
        raise UsageError(f"{what} {str(path)!r} does not exist")


def new_seed() -> int:
    """A fresh run seed (63 bits, so it fits every JSON reader's integers)."""
    return secrets.randbits(63)


def run(*, submission: Path, assignment: str, course: Path | None = None, output: Path | None = None,
        seed: int | None = None, limits: Limits = DEFAULT_LIMITS, sandbox_backend: str = DEFAULT_SANDBOX,
        include_hidden: bool = True, execute_notebook: bool = False, public_only: bool = False) -> dict:
    """Grade one submission; write the result JSON to ``output`` if given; return it.

    ``public_only`` (or ``include_hidden=False``): only the course's own public tests
    (``assignments/<name>/tests``), scored on the items they serve, as ``grade local``
    scores them, and never a test file of the submission; the result's ``output`` starts
    with "Public tests only". No reference solution is loaded.

    Raises :class:`UsageError` (nothing graded, nothing written) for a ``submission``
    that does not exist or a time limit that is not positive, and :class:`GraderError`
    only when nothing could be graded at all (unknown assignment, broken rubric);
    every problem of the submission itself is in the result.
    """
    _check_exists(submission, "the submission")
    check_limits(limits)
    root = course_module.find_root(course)
    graded = course_module.load(root, assignment)
    public_only = public_only or not include_hidden
    full_rubric = graded.rubric
    if public_only:
        from grader import local as local_module

        graded = local_module.course_public_assignment(graded)
    backend = sandbox.choose_backend(sandbox_backend)
    from grader import grading  # here: pytest and numpy load only for commands that grade

    document = grading.grade(assignment=graded, submission=Path(submission),
                             seed=new_seed() if seed is None else seed, limits=limits,
                             backend=backend, include_hidden=not public_only, execute_notebook=execute_notebook,
                             artifact_prefix=_artifact_prefix(output))
    if public_only:
        local_module.mark_public_only(document, public=graded.rubric, full=full_rubric)
    if output is not None:
        result_module.write(Path(output), document)
    return document


def _artifact_prefix(output: Path | None) -> str | None:
    """Files attached by tests go beside the result: result.json -> result.<name>."""
    if output is None:
        return None
    output = Path(output)
    return str(output.with_name(output.stem + "."))


@dataclasses.dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


def validate(*, assignment: str, course: Path | None = None, limits: Limits = DEFAULT_LIMITS,
             sandbox_backend: str = DEFAULT_SANDBOX, seed: int | None = None, seeds: int = 1) -> list[Check]:
    """Check an assignment: rubric valid, every item tested, reference full marks, starter zero.

    With ``seeds`` > 1 the reference is graded at that many seeds (``seed``, ``seed + 1``, ...):
    hidden tests whose random inputs sometimes fail a correct solution show up here."""
    from grader import grading

    check_limits(limits)
    root = course_module.find_root(course)
    checks: list[Check] = []
    try:
        graded = course_module.load(root, assignment)
    except GraderError as exc:
        return [Check("rubric follows rubric.schema.json", False, str(exc))]
    checks.append(Check("rubric follows rubric.schema.json", True,
                        f"{len(graded.rubric.items)} items, {graded.rubric.max_score:g} points"))
    checks += _check_items_tested(graded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sandbox.SandboxWarning)
        backend = sandbox.choose_backend(sandbox_backend)
    run_seed = new_seed() if seed is None else seed
    runs = [("reference solution gets full marks", graded.solution, True, run_seed + k) for k in range(max(1, seeds))]
    runs.append(("starter gets zero", graded.starter, False, run_seed))
    checks.append(_check_starter(graded))
    reference_failures: list[str] = []
    for label, path, want_full, one_seed in runs:
        if not path.is_file():
            checks.append(Check(label, False, f"{path} does not exist"))
            if want_full:
                break
            continue
        with tempfile.TemporaryDirectory(prefix="nngrade-validate-") as folder:
            # The submission as a student hands it in: the module, plus the reference
            # versions of the modules it requires (a student brings their own).
            shutil.copyfile(path, Path(folder) / path.name)
            for module, dependency in graded.required_modules().items():
                shutil.copyfile(dependency, Path(folder) / f"{module}.py")
            document = grading.grade(assignment=graded, submission=Path(folder), seed=one_seed, limits=limits,
                                     backend=backend)
        status = document["extra_data"]["status"]
        target = graded.rubric.max_score if want_full else 0
        ok = status == "graded" and document["score"] == target
        detail = f"{document['score']:g}/{graded.rubric.max_score:g} (seed {one_seed})"
        if not ok:
            wrong = [t for t in document["tests"] if (t["status"] == "passed") != want_full]
            detail += "".join(f"\n    {t['extra_data']['item']}: {t['output'].splitlines()[0] if t['output'] else ''}"
                              for t in wrong)
            detail += "".join(f"\n    grader error: {e.splitlines()[0]}" for e in document["extra_data"]["grader_errors"])
        if want_full and seeds > 1:
            if not ok:
                reference_failures.append(detail)
            if one_seed == run_seed + seeds - 1:
                checks.append(Check(label, not reference_failures,
                                    f"{seeds - len(reference_failures)} of {seeds} seeds "
                                    f"({run_seed}..{run_seed + seeds - 1})" + "".join("\n  " + f for f in reference_failures)))
            continue
        checks.append(Check(label, ok, detail))
    return checks


def _check_starter(graded: course_module.Assignment) -> Check:
    from grader import starter as starter_module

    problems = starter_module.check(graded)
    return Check("starter is generated from the solution", not problems,
                 "\n    ".join(problems) if problems else "module and notebook up to date")


def _check_items_tested(graded: course_module.Assignment) -> list[Check]:
    from grader import grading
    from grader.plugin import GradingPlugin

    plugin = GradingPlugin(student=None, reference=None, seed=0, item_ids={i.id for i in graded.rubric.items})
    files = graded.test_files()
    if not files:
        return [Check("every rubric item has tests", False, f"no test_*.py in {graded.hidden_tests}")]
    grading.run_tests(assignment=graded, plugin=plugin, test_files=files, collect_only=True)
    checks = []
    if plugin.collection_errors:
        checks.append(Check("test files import", False, "\n".join(plugin.collection_errors)))
    unmapped = sorted(node for node, item in plugin.collected.items() if item is None)
    checks.append(Check("every test names one rubric item", not unmapped,
                        "tests without a valid @pytest.mark.item(...): " + ", ".join(unmapped) if unmapped
                        else f"{len(plugin.collected)} tests"))
    counts = {i.id: 0 for i in graded.rubric.items}
    for item in plugin.collected.values():
        if item is not None:
            counts[item] += 1
    untested = [f"/items/{n}/id ({i})" for n, i in enumerate(counts) if counts[i] == 0]
    checks.append(Check("every rubric item has tests", not untested,
                        f"{graded.rubric.path}: no test for " + ", ".join(untested) if untested
                        else ", ".join(f"{i}: {c}" for i, c in counts.items())))
    return checks


def batch(*, submissions: Path, assignment: str, output: Path, course: Path | None = None,
          jobs: int | None = None, resume: bool = False, limits: Limits = DEFAULT_LIMITS,
          sandbox_backend: str = DEFAULT_SANDBOX, secret_file: Path | None = None,
          dask_address: str | None = None, force: bool = False, feedback: bool = False, on_start=None,
          on_progress=None):
    """Grade every submission of an LMS download into ``output``; see :mod:`grader.batch`.

    ``jobs`` defaults to the number of cores. Without a course secret (``secret_file``
    or $NNGRADE_COURSE_SECRET) the per-student seeds are predictable; a warning says so.
    Without ``resume``, an ``output`` folder that is not empty is refused
    (:class:`grader.batch.OutputInUse`) unless ``force``, which first removes the batch
    outputs it holds (``results/``, ``resume/``, ``grades.csv``, ``summary.json``,
    ``report.html``, ``changes.csv``). A download in which no submission is found raises
    :class:`grader.layout.LayoutError` before anything is written. ``feedback``: also write
    each student's feedback (see :func:`grader.batch.run`).
    """
    _check_exists(submissions, "the submissions")
    check_limits(limits)
    root = course_module.find_root(course)
    backend = sandbox.choose_backend(sandbox_backend)
    return _grade_class(submissions=Path(submissions), assignment=assignment, output=Path(output), root=root,
                        jobs=jobs, resume=resume, limits=limits, backend=backend, secret=_course_secret(secret_file),
                        dask_address=dask_address, force=force, feedback=feedback, on_start=on_start,
                        on_progress=on_progress)


def batch_classes(*, submissions: Path, output: Path, course: Path | None = None, jobs: int | None = None,
                  resume: bool = False, limits: Limits = DEFAULT_LIMITS, sandbox_backend: str = DEFAULT_SANDBOX,
                  secret_file: Path | None = None, dask_address: str | None = None, force: bool = False,
                  feedback: bool = False, on_class=None, on_summary=None, on_start=None, on_progress=None) -> dict:
    """Grade a folder of classes: each subfolder of ``submissions`` is named after an assignment
    of the course and holds that assignment's download; it is graded as :func:`batch` grades
    one, into ``output/<assignment>/``. Returns {assignment: summary}, in name order.

    :class:`UsageError` before anything is graded if ``submissions`` is not a folder of classes
    (no subfolder, or a subfolder named after no assignment: a misspelt class is not skipped).
    The course secret is read, and its absence warned about, once for the whole run.
    ``on_class(assignment, folder, outdir)`` is called before each class,
    ``on_summary(assignment, summary)`` after it; ``on_start`` and ``on_progress`` as in :func:`batch`."""
    _check_exists(submissions, "the submissions")
    check_limits(limits)
    root = course_module.find_root(course)
    classes = class_folders(submissions=Path(submissions), course=root)
    backend = sandbox.choose_backend(sandbox_backend)
    secret = _course_secret(secret_file)
    summaries = {}
    for name, folder in classes.items():
        outdir = Path(output) / name
        if on_class is not None:
            on_class(name, folder, outdir)
        summaries[name] = _grade_class(submissions=folder, assignment=name, output=outdir, root=root, jobs=jobs,
                                       resume=resume, limits=limits, backend=backend, secret=secret,
                                       dask_address=dask_address, force=force, feedback=feedback,
                                       on_start=on_start, on_progress=on_progress)
        if on_summary is not None:
            on_summary(name, summaries[name])
    return summaries


def class_folders(*, submissions: Path, course: Path | None = None) -> dict[str, Path]:
    """{assignment: folder} of a folder of classes (hidden folders and files such as a README
    are ignored); :class:`UsageError` if ``submissions`` is not one."""
    root = course_module.find_root(course)
    known = course_module.names(root)
    hint = "give the assignment (-a) to grade it as one class"
    if not Path(submissions).is_dir():
        raise UsageError(f"{submissions} is not a folder of classes (one subfolder per assignment): {hint}")
    folders = sorted(p for p in Path(submissions).iterdir()
                     if p.is_dir() and not p.name.startswith((".", "__")))
    unknown = [p.name for p in folders if p.name not in known]
    if not folders or len(unknown) == len(folders):
        raise UsageError(f"{submissions} is not a folder of classes: no subfolder is named after an assignment of "
                         f"the course at {root} (known: {', '.join(known) or 'none'}); {hint}")
    if unknown:
        raise UsageError(f"{submissions}: {', '.join(unknown)} named after no assignment of the course at {root} "
                         f"(known: {', '.join(known)}); in a folder of classes every subfolder is one; rename or "
                         "move it (nothing was graded)")
    return {p.name: p for p in folders}


def _course_secret(secret_file: Path | None) -> bytes:
    """The course secret for per-student seeds; without one, a warning (once per call) and b""."""
    from grader import batch as batch_module

    secret = batch_module.read_secret(secret_file)
    if secret is None:
        warnings.warn(f"no course secret (set ${batch_module.SECRET_ENV} or --secret-file): per-student "
                      "seeds can be predicted by anyone who knows this rule", BatchWarning, stacklevel=3)
        secret = b""
    return secret


def _grade_class(*, submissions: Path, assignment: str, output: Path, root: Path, jobs: int | None, resume: bool,
                 limits: Limits, backend: str, secret: bytes, dask_address: str | None, force: bool,
                 feedback: bool, on_start, on_progress):
    from grader import batch as batch_module

    extra = {"feedback": True} if feedback else {}  # a keyword grader.batch.run gains with the feedback files
    return batch_module.run(submissions=submissions, assignment=assignment, outdir=output, course_root=root,
                            limits=limits, backend=backend, workers=jobs or os.cpu_count() or 1, resume=resume,
                            secret=secret, dask_address=dask_address, force=force, on_start=on_start,
                            on_progress=on_progress, **extra)


def audit(*, assignment: str, course: Path | None = None, output: Path | None = None, jobs: int | None = None,
          limits: Limits = DEFAULT_LIMITS, sandbox_backend: str = DEFAULT_SANDBOX, seed: int | None = None,
          min_recall: float | None = None, min_precision: float | None = None, per_function: int | None = None,
          functions: list[str] | None = None, on_progress=None) -> dict:
    """Measure the hidden tests of ``assignment``: per item, recall over mutants of the reference
    and precision over the catalog of correct variants (see :mod:`grader.audit`). Returns the
    report (``audit.schema.json``); with ``output``, also writes ``audit.json`` and ``audit.html``
    there. ``min_recall``/``min_precision`` default to the audit's thresholds (95%, 100%).
    With ``functions``, the audit is partial: the mutants of those functions, and only the
    catalog entries that write one of them."""
    from grader import audit as audit_module
    from grader import auditpage
    from grader.storage import write_atomically

    check_limits(limits)
    for name, value in (("min_recall", min_recall), ("min_precision", min_precision)):
        if value is not None and not 0 <= value <= 1:
            raise UsageError(f"{name} must be between 0 and 1, not {value!r}")
    root = course_module.find_root(course)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sandbox.SandboxWarning)
        backend = sandbox.choose_backend(sandbox_backend)
    document = audit_module.run(
        course_root=root, assignment=assignment, seed=new_seed() if seed is None else seed, limits=limits,
        backend=backend, jobs=jobs or os.cpu_count() or 1,
        min_recall=audit_module.DEFAULT_MIN_RECALL if min_recall is None else min_recall,
        min_precision=audit_module.DEFAULT_MIN_PRECISION if min_precision is None else min_precision,
        per_function=per_function, functions=functions, on_progress=on_progress)
    if output is not None:
        Path(output).mkdir(parents=True, exist_ok=True)
        write_atomically(Path(output) / "audit.json",
                         (json.dumps(document, indent=1, allow_nan=False) + "\n").encode("utf-8"))
        write_atomically(Path(output) / "audit.html", auditpage.html(document).encode("utf-8"))
    return document


class BatchWarning(UserWarning):
    """A batch runs, but with a setting that weakens it."""


def local(*, path: Path | None = None, limits: Limits = DEFAULT_LIMITS, sandbox_backend: str = DEFAULT_SANDBOX,
          seed: int | None = None, execute_notebook: bool = False):
    """A student's check: the public tests on their file, in the assignment folder at or above
    ``path`` (default: the working directory); see :mod:`grader.local`. Needs no course,
    no solution and no hidden test. Raises :class:`grader.local.UntrustedFolder` (a
    :class:`GraderError`), importing nothing of the folder's tests, when they are not the
    released ones (``public_rubric.json`` records their sha256)."""
    from grader import local as local_module

    check_limits(limits)
    return local_module.run(path=Path.cwd() if path is None else Path(path), limits=limits,
                            sandbox_backend=sandbox_backend, execute_notebook=execute_notebook,
                            seed=local_module.LOCAL_SEED if seed is None else seed)


def release(*, output: Path, assignments: list[str] | None = None, course: Path | None = None,
            requirement: str | None = None, force: bool = False):
    """Write what students get for each assignment (default: all) under ``output``;
    refuse if any of it holds solution or hidden-test code (archive members and compressed
    files included), or an archive or binary file that ``release.json`` at the course root
    does not list. Without ``requirement`` (the grader's install line), each release holds the
    grader's own wheel and its requirements.txt points at it. See :mod:`grader.release`."""
    from grader import release as release_module

    root = course_module.find_root(course)
    return release_module.build(root=root, names=assignments, output=Path(output), force=force,
                                requirement=requirement or None)


def starter(*, assignment: str, course: Path | None = None, check: bool = False) -> list:
    """Write the starter of ``assignment`` (module and notebook, generated from the reference
    solution; see :mod:`grader.starter`) and return the paths written. With ``check``, write
    nothing and return the problems found (a starter out of date with its solution...), one
    sentence each: none means the starter is what the solution gives."""
    from grader import starter as starter_module

    graded = course_module.load(course_module.find_root(course), assignment)
    return starter_module.check(graded) if check else starter_module.write(graded)


def new(*, name: str, course: Path | None = None) -> list[Path]:
    """Create the skeleton of a new assignment ``name`` in the course (see :mod:`grader.scaffold`):
    the paths written. Nothing is overwritten: an assignment that exists is refused."""
    from grader import scaffold
    from grader import starter as starter_module

    root = course_module.find_root(course)
    written = scaffold.create(root=root, name=name)
    return written + starter_module.write(course_module.load(root, name))
