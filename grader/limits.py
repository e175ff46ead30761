"""Every resource limit the grader places on student code, with its reason.

All defaults live here, in one place; the API and the CLI take overrides.
Tests of hangs and bombs pass short limits so the suite stays fast.
"""

from __future__ import annotations

import dataclasses

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Limits:
    """Limits applied to one worker process (one submission's student code)."""

    # Why: a correct layer call takes milliseconds; 10 s tolerates a slow laptop
    # while bounding what one infinite loop costs the batch.
    call_timeout: float = 10.0
    # Why: importing a module is only definitions plus numpy (already loaded);
    # a longer import is a top-level training run or a hang.
    import_timeout: float = 10.0
    # Why: numpy and the interpreter need ~1.5 s to start on a cold cache;
    # a worker that is not ready in this time is a grader fault, not the student's.
    start_timeout: float = 30.0
    # Why: CPU seconds for the worker's whole life, a backstop behind the
    # wall-clock timeouts for a process that escaped them (e.g. in a child).
    cpu_seconds: int = 300
    # Why: 2 GiB of address space fits numpy, OpenBLAS and every assignment's
    # data with room to spare; an 8 GiB allocation fails with MemoryError
    # instead of swapping the grading machine to death.
    address_space_bytes: int = 2048 * MiB
    # Why: student code may write scratch files in its private directory;
    # 64 MiB is far above any legitimate use and stops a disk-filling loop.
    file_size_bytes: int = 64 * MiB
    # Why: a few open files are normal; thousands are a descriptor leak or attack.
    open_files: int = 256
    # Why: the feedback shows only a snippet of printed output; 64 KiB keeps
    # a print in a loop from filling the grader's memory.
    output_bytes: int = 64 * 1024
    # Why: the largest legitimate result (an MLP's weights) is a few MiB;
    # 64 MiB keeps the trusted process under 300 MB resident whatever a worker sends.
    message_bytes: int = 64 * MiB
    # Why: the JSON part of a message only describes values (arrays travel as
    # .npy blobs); parsing 255 MiB of "[],[]" took 6.9 GiB, so it is refused unread.
    json_bytes: int = 1 * MiB
    # Why: arrays returned by student code are compared, not stored; one
    # array above 64 MiB is a bug or an attack.
    array_bytes: int = 64 * MiB
    # Why: nested containers deeper than this come from recursion bugs, and
    # decoding them could exhaust the trusted side's stack.
    nesting_depth: int = 32
    # Why: RLIMIT_AS bounds each process, not their sum; 3 GiB for all of one
    # submission's processes (and its /tmp) keeps `batch -j 2` under 6 GiB of a 24 GiB laptop.
    total_memory_bytes: int = 3072 * MiB
    # Why: numpy and a student's multiprocessing need a few processes; 64 stops a fork bomb.
    processes: int = 64
    # Why: /tmp and /scratch are RAM (tmpfs) in the bwrap sandbox; 256 MiB each
    # is far above any legitimate scratch file and stops a RAM-filling loop.
    tmp_bytes: int = 256 * MiB
    scratch_bytes: int = 256 * MiB
    # Why: a worker that dies on every call (a bad frame on each reply) would be
    # restarted once per test; after this many restarts the remaining items fail.
    max_restarts: int = 8
    # Why: sleeping just under the call limit on every call stretched one submission
    # to 35 minutes; its total time in student code is capped. 0 means "sized from the
    # assignment": start + import + one call limit per rubric item (see budget_for).
    submission_budget: float = 0.0

    def budget_for(self, items: int, rubric_budget: float | None = None) -> float:
        """The total seconds one submission's code may take: this limit if set, else the
        rubric's own ``time_budget_seconds``, else one hang per item plus start and import."""
        if self.submission_budget > 0:
            return float(self.submission_budget)
        if rubric_budget:
            return float(rubric_budget)
        return self.start_timeout + self.import_timeout + max(1, items) * self.call_timeout

    def replace(self, **changes: object) -> "Limits":
        """A copy with some limits changed (unknown names raise TypeError)."""
        return dataclasses.replace(self, **changes)

    def for_worker(self) -> dict:
        """The limits the worker applies to itself (rlimits), as plain data."""
        return {
            "cpu_seconds": self.cpu_seconds,
            "address_space_bytes": self.address_space_bytes,
            "file_size_bytes": self.file_size_bytes,
            "open_files": self.open_files,
            "array_bytes": self.array_bytes,
            "message_bytes": self.message_bytes,
        }


DEFAULT_LIMITS = Limits()
