"""The bwrap sandbox holds against a hostile student when the grader runs as root
(as in CI, most Docker images and Gradescope), and bounds one submission's totals.

Each attack is one fixture under tests/fixtures/layers/, named for what it tries.
"""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, SHORT_LIMITS, full_marks, needs_bwrap, scores

from grader import api, cgroup, sandbox, seccomp, zygote

as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="the attack needs root")
MARKER = "nngrade_escape_marker"


def _marker_places() -> list[Path]:
    folders = {sandbox.GRADER_PACKAGE, Path("/usr"), Path("/etc"), Path("/"), Path(sys.prefix),
               Path(sys.base_prefix), Path(os.__file__).parent, Path(os.__file__).parent.parent}
    folders.update(Path(root) for root in sandbox._python_roots())
    return sorted(folder / MARKER for folder in folders)


@needs_bwrap
@as_root
def test_remounting_the_read_only_binds_as_root_writes_nothing_to_the_host(grade_fixture):
    places = _marker_places()
    assert not any(p.exists() for p in places), "a marker from an earlier run is still there"
    try:
        document = grade_fixture("remounts_read_only_binds_and_writes_to_the_host.py", backend="bwrap")
        written = [str(p) for p in places if p.exists()]
        assert written == [], f"the student wrote to the host: {written}"
        assert scores(document) == full_marks(document)
        caps = document["extra_data"]["caps"]
        assert caps["seccomp"] is True and "capabilities dropped" in caps["enforced_by"]
    finally:
        for p in places:
            p.unlink(missing_ok=True)


def test_the_seccomp_filter_is_a_whole_number_of_instructions_for_each_architecture():
    for machine in ("x86_64", "aarch64"):
        program = seccomp.program(machine)
        assert program and len(program) % 8 == 0
    assert seccomp.program("sparc64") is None
    assert {"mount", "umount2", "pivot_root", "unshare", "setns", "ptrace", "keyctl", "bpf",
            "perf_event_open"} <= set(seccomp.REFUSED)


@pytest.fixture
def course_under_usr_local_src(tmp_path):
    """A copy of this course under /usr/local/src, a folder the sandbox binds (root only)."""
    root = Path("/usr/local/src") / f"nngrade-test-course-{os.getpid()}"
    try:
        root.mkdir(parents=True)
    except OSError:
        pytest.skip("needs write access to /usr/local/src (root)")
    try:
        for name in ("assignments", "solutions", "rubrics"):
            shutil.copytree(REPO / name, root / name)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@needs_bwrap
@as_root
def test_a_course_under_a_bound_system_folder_keeps_its_reference_hidden(course_under_usr_local_src, tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copyfile(REPO / "tests" / "fixtures" / "layers" / "finds_and_runs_the_reference_under_a_mounted_course.py",
                    folder / "layers.py")
    document = api.run(submission=folder, assignment="layers", course=course_under_usr_local_src, seed=3,
                       limits=SHORT_LIMITS, sandbox_backend="bwrap")
    assert document["extra_data"]["status"] in ("graded", "submission_error")  # it defines nothing
    assert document["extra_data"]["grader_errors"] == []
    assert document["score"] == 0, "the submission found and ran the hidden reference"


@needs_bwrap
def test_batch_input_and_output_folders_are_masked_under_a_bound_folder(tmp_path):
    """Other students' files and results are never visible, wherever the TA keeps them."""
    fake_root = tmp_path / "usr-like"
    (fake_root / "class" / "bob").mkdir(parents=True)
    (fake_root / "out").mkdir()
    box = sandbox.Sandbox(submission_dir=tmp_path, limits=SHORT_LIMITS, backend="bwrap",
                          hidden_paths=(fake_root / "class", fake_root / "out", Path("/")))
    box.bound_folders = lambda: [str(fake_root)]  # as if the TA's folders were under /usr
    assert box.masked_paths() == sorted([str(fake_root / "class"), str(fake_root / "out")])


TOTALS_PROBE = '''
import os, time
import numpy as np

def fork_allocating_children(children, mib):
    """Fork children that each fill ``mib`` MiB; how many finished (exit 0)."""
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            try:
                block = np.ones(mib * 1024 * 1024 // 8)
                time.sleep(1.0)
                os._exit(0 if block[-1] == 1 else 1)
            except BaseException:
                os._exit(1)
        pids.append(pid)
    return sum(os.waitpid(pid, 0)[1] == 0 for pid in pids)

def fork_sleepers(count):
    """Fork up to ``count`` sleeping children; how many forks succeeded."""
    made = []
    for _ in range(count):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        made.append(pid)
    return len(made)

def fill(folder, mib):
    """Write up to ``mib`` MiB into ``folder`` in 8 MiB files; the MiB written."""
    chunk = b"x" * (8 * 1024 * 1024)
    written = 0
    try:
        for i in range(mib // 8):
            with open(os.path.join(folder, f"fill{i}"), "wb") as f:
                f.write(chunk)
            written += 8
    except OSError:
        pass
    return written
'''
MiB = 1024 * 1024


def _cgroup_available() -> bool:
    group = cgroup.create(memory_bytes=1 << 30, processes=64)
    if group is not None:
        group.remove()
    return group is not None


needs_cgroup = pytest.mark.skipif(not _cgroup_available(),
                                  reason="no cgroup can be made here (needs root or a delegated cgroup)")


@needs_cgroup
@pytest.mark.parametrize("backend", ["subprocess", "bwrap"] if sandbox.bwrap_path() else ["subprocess"])
def test_four_forked_children_share_one_memory_cap(student_code, backend):
    from grader.failure import StudentCodeError
    limits = SHORT_LIMITS.replace(call_timeout=30, total_memory_bytes=1024 * MiB)
    probe = student_code(TOTALS_PROBE, backend, limits=limits)
    try:
        finished = probe.fork_allocating_children(4, 512)
    except StudentCodeError as exc:  # the worker itself was the one the kernel killed
        assert "SIGKILL" in str(exc)
    else:
        assert finished <= 1, f"{finished} children of 512 MiB each fit under a 1 GiB cap"
    assert probe.caps["total_memory_bytes"] == 1024 * MiB and probe.caps["enforced_by"].startswith("cgroup")


@needs_cgroup
def test_a_fork_bomb_stops_at_the_process_cap(student_code):
    limits = SHORT_LIMITS.replace(call_timeout=30, processes=16)
    probe = student_code(TOTALS_PROBE, "subprocess", limits=limits)
    assert probe.fork_sleepers(100) < 16
    assert probe.caps["processes"] == 16


@needs_bwrap
def test_tmp_and_scratch_are_capped_in_size(student_code):
    limits = SHORT_LIMITS.replace(call_timeout=30, tmp_bytes=32 * MiB, scratch_bytes=48 * MiB)
    probe = student_code(TOTALS_PROBE, "bwrap", limits=limits)
    assert probe.fill("/tmp", 256) <= 32
    assert probe.fill("/scratch", 256) <= 48
    assert probe.caps["tmp_bytes"] == 32 * MiB and probe.caps["scratch_bytes"] == 48 * MiB


@needs_bwrap
def test_nothing_the_worker_writes_to_scratch_reaches_the_host_disk(student_code):
    probe = student_code(TOTALS_PROBE, "bwrap")
    assert probe.fill("/scratch", 16) == 16
    # The worker's folder on the host: a cold worker's cwd outside (empty), or a warm
    # worker's inbox folder (which holds only links to its submission's files).
    host_folder = Path(probe._worker._workdir)
    warm = isinstance(probe._worker, zygote.WarmWorker)
    submission = {p.name for p in probe._sandbox.submission_dir.iterdir()} if warm else set()
    assert {p.name for p in host_folder.rglob("*")} == submission
    host_tmp_before = set(Path(tempfile.gettempdir()).iterdir())
    assert probe.fill("/tmp", 16) == 16
    assert not [p for p in set(Path(tempfile.gettempdir()).iterdir()) - host_tmp_before
                if p.is_file() and p.stat().st_size >= 1024 * 1024]


# The hostile fixtures that write, escape or die in ways that could leave something behind.
LEAVES_NOTHING = ["writes_files_everywhere_it_can.py", "remounts_read_only_binds_and_writes_to_the_host.py",
                  "ships_numpy_py_and_conftest_py", "os_exit_at_import.py", "mutates_its_inputs.py",
                  "infinite_loop_in_relu_forward.py", "finds_and_runs_the_reference_under_a_mounted_course.py"]


def _stray_files(stamp: float, skip: tuple[str, ...], grader_folders: tuple[str, ...]) -> list[str]:
    """Files the fixtures name (anywhere on the host), and any file changed since ``stamp``
    in the grader's and the course's own folders."""
    found = []
    for top, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if not os.path.join(top, d).startswith(skip) and d != "__pycache__"]
        ours = top.startswith(grader_folders)
        for name in files:
            path = os.path.join(top, name)
            if name.startswith(("nngrade_stray_file", MARKER)):
                found.append(path)
            elif ours:
                try:
                    if os.lstat(path).st_mtime >= stamp:
                        found.append(path)
                except OSError:
                    pass
    return found


@needs_bwrap
@as_root
def test_as_root_no_hostile_fixture_leaves_a_file_anywhere_on_the_host(grade_fixture, tmp_path):
    # Not looked at: kernel file systems and the test's own folder (where the fixtures are staged).
    skip = ("/proc", "/sys", "/dev/pts", str(tmp_path.parent))
    grader_folders = tuple(str(p) for p in (sandbox.GRADER_PACKAGE, REPO / "solutions", REPO / "rubrics",
                                            REPO / "assignments", Path(sys.prefix)))
    stamp = time.time() - 0.01
    for name in LEAVES_NOTHING:
        document = grade_fixture(name, backend="bwrap")
        assert document["extra_data"]["sandbox"] == "bwrap"
    stray = _stray_files(stamp, skip, grader_folders)
    assert stray == [], f"files written outside the worker's scratch folder: {stray[:10]}"


@needs_cgroup
def test_no_cgroup_of_a_grading_process_is_left_behind_after_it_exits(tmp_path):
    """Killed workers may not be reaped at once; their cgroups are removed later, never piled up."""
    import subprocess
    from conftest import stage_fixture
    folder = stage_fixture("infinite_loop_in_relu_forward.py", tmp_path)
    script = (f"import sys, os, warnings; warnings.simplefilter('ignore'); sys.path.insert(0, {str(REPO)!r})\n"
              "from grader import api\nfrom grader.limits import DEFAULT_LIMITS\n"
              f"api.run(submission={str(folder)!r}, assignment='layers', course={str(REPO)!r}, seed=1,\n"
              "        limits=DEFAULT_LIMITS.replace(call_timeout=1, import_timeout=5))\n"
              "print(os.getpid())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    pid = done.stdout.strip().splitlines()[-1]
    assert list(Path("/sys/fs/cgroup").glob(f"*/**/nngrade-{pid}-*")) == []
