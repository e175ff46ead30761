"""The worker: the only place student code is imported and run.

UNTRUSTED SIDE. Everything in this process may be tampered with by the student's
code once it is imported (it can monkeypatch numpy, this module, anything), so
nothing the worker sends back is a verdict: it answers calls with plain data
(see :mod:`grader.protocol`) and the trusted side checks every byte.

Started by :mod:`grader.sandbox` as ``python -I -B -c <bootstrap>`` (which calls
:func:`main`) with stdin, stdout and stderr as pipes. Before any student code runs
it moves the protocol onto private descriptors, points stdin at the null device and
sends both stdout and stderr to the capture pipe, so a student's ``print`` can never
be mistaken for a result.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from typing import Any

# Imported before any student code: a student's numpy.py beside the submission
# can never shadow it, and its import cost is paid once per worker.
import numpy as np  # noqa: F401

from grader import lifeline, protocol

MESSAGE_CAP = 2000  # characters of an exception message sent back


class Worker:
    def __init__(self, proto_in: int, proto_out: int):
        self.proto_in = os.fdopen(proto_in, "rb", buffering=0)
        self.proto_out = proto_out
        self.module = None
        self.submission_dir = ""
        self.handles: dict[int, Any] = {}
        self.next_handle = 1
        self.limits: dict = {}

    # -- channel -----------------------------------------------------------
    def send(self, message: dict, blobs: list | None = None) -> None:
        data = protocol.pack(message, blobs or [])
        view = memoryview(data)
        while view:
            written = os.write(self.proto_out, view)
            view = view[written:]

    def receive(self) -> tuple[dict, list] | None:
        payload = protocol.read_frame(self.proto_in, max_bytes=1 << 40)
        if payload is None:
            return None
        return protocol.unpack(payload)

    # -- values ------------------------------------------------------------
    def keep(self, value: Any) -> dict:
        handle_id = self.next_handle
        self.next_handle += 1
        self.handles[handle_id] = value
        return {"handle": handle_id, "type": type(value).__name__[:100]}

    def resolve(self, node: dict) -> Any:
        try:
            return self.handles[node["handle"]]
        except KeyError:
            raise protocol.ProtocolError(f"unknown handle {node['handle']}") from None

    def decode(self, node: Any, blobs: list) -> Any:
        return protocol.decode(node, blobs, max_array_bytes=1 << 40, max_depth=64, resolve=self.resolve)

    # -- errors ------------------------------------------------------------
    def where(self, tb) -> list:
        """The frames of a traceback that are in the student's own files."""
        frames = []
        root = os.path.realpath(self.submission_dir) + os.sep
        for frame in traceback.extract_tb(tb):
            path = os.path.realpath(frame.filename) if frame.filename else ""
            if path.startswith(root):
                frames.append({"file": path[len(root):], "line": frame.lineno or 0,
                               "function": frame.name, "code": (frame.line or "")[:200]})
        return frames[-5:]

    def error(self, kind: str, exc: BaseException | None = None, message: str = "") -> dict:
        detail = {"kind": kind, "type": "", "message": message, "where": []}
        if exc is not None:
            detail["type"] = type(exc).__name__
            try:
                text = str(exc)
            except BaseException:  # a hostile __str__
                text = "<exception message could not be read>"
            detail["message"] = (message + text)[:MESSAGE_CAP]
            detail["where"] = self.where(exc.__traceback__)
            if isinstance(exc, SyntaxError):
                detail["where"] = [{"file": os.path.basename(exc.filename or ""), "line": exc.lineno or 0,
                                    "function": "", "code": (exc.text or "").strip()[:200]}]
        return {"error": detail}

    # -- operations --------------------------------------------------------
    def op_init(self, message: dict) -> dict:
        self.limits = message["limits"]
        self.submission_dir = message["submission_dir"]
        apply_rlimits(self.limits)
        os.chdir(message["workdir"])
        return {"ready": True, "pid": os.getpid()}

    def op_import(self, message: dict) -> dict:
        name = message["module"]
        path = os.path.join(self.submission_dir, name + ".py")
        if not os.path.isfile(path):
            if os.path.isfile(os.path.join(self.submission_dir, name + ".ipynb")):
                # A notebook: read, converted and run here, never in the trusted process.
                # Imported here: a .py submission's worker never loads the notebook reader.
                from grader.worker import notebook
                return notebook.import_notebook(self, message)
            return {"error": {"kind": "missing_file", "type": "", "message": f"{name}.py", "where": []}}
        # Appended, not prepended: the student's own helper modules import, but a
        # numpy.py or pytest.py of theirs never shadows the real one.
        if self.submission_dir not in sys.path:
            sys.path.append(self.submission_dir)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except SyntaxError as exc:
            return self.error("syntax", exc)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are the student's too
            return self.error("import", exc)
        self.module = module
        functions = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        return {"ok": functions}

    def op_call(self, message: dict, blobs: list) -> tuple[dict, list]:
        name = message["name"]
        function = getattr(self.module, name, None) if self.module is not None else None
        if function is None:
            return {"error": {"kind": "missing", "type": "", "message": name, "where": []}}, []
        if not callable(function):
            return {"error": {"kind": "not_callable", "type": type(function).__name__,
                              "message": name, "where": []}}, []
        args = self.decode(message["args"], blobs)
        kwargs = self.decode(message["kwargs"], blobs)
        nodes = message["args"].get("list", []) if isinstance(message["args"], dict) else []
        handles = [n.get("handle") if isinstance(n, dict) else None for n in nodes] \
            if message.get("return_args") else []
        # Objects kept here (a namedtuple or dataclass cache) never cross, so the trusted side
        # cannot compare them: their arrays are copied before the call and compared after it.
        snapshots = {i: arrays_in(args[i]) for i, h in enumerate(handles) if isinstance(h, int)}
        try:
            result = function(*args, **kwargs)
        except BaseException as exc:
            return self.error("exception", exc), []
        out_blobs: list = []
        try:
            reply = {"ok": protocol.encode(result, out_blobs, keep=self.keep)}
            if message.get("return_args"):
                reply["args"] = protocol.encode(list(args), out_blobs, keep=self.keep)
                reply["mutated"] = {str(i): changed_arrays(before, args[i]) for i, before in snapshots.items()}
        except BaseException as exc:
            return self.error("bad_return", exc, "could not send the result: "), []
        size = sum(len(b) for b in out_blobs)
        if size > self.limits.get("message_bytes", 1 << 40):
            return {"error": {"kind": "bad_return", "type": "", "where": [],
                              "message": f"the result is {size} bytes, over the limit"}}, []
        return reply, out_blobs

    def op_release(self, message: dict) -> dict:
        for handle_id in message["handles"]:
            self.handles.pop(handle_id, None)
        return {"ok": None}

    def serve(self) -> None:
        while True:
            received = self.receive()
            if received is None:
                return
            message, blobs = received
            op = message.get("op")
            out_blobs: list = []
            if op == "init":
                reply = self.op_init(message)
            elif op == "import":
                reply = self.op_import(message)
            elif op == "call":
                reply, out_blobs = self.op_call(message, blobs)
            elif op == "release":
                reply = self.op_release(message)
            else:
                reply = {"error": {"kind": "protocol", "type": "", "message": f"unknown op {op!r}", "where": []}}
            sys.stdout.flush()
            sys.stderr.flush()
            self.send(reply, out_blobs)


def arrays_in(value: Any, path: str = "", depth: int = 0, seen: set | None = None) -> dict:
    """{path: copy} of every numpy array inside ``value`` (fields of namedtuples, dataclasses
    and plain objects, items of containers), to compare after a call."""
    seen = set() if seen is None else seen
    found: dict = {}
    if depth > 6 or id(value) in seen or len(found) > 1000:
        return found
    seen.add(id(value))
    try:
        if isinstance(value, np.ndarray):
            found[path or "the object"] = value.copy()
        elif isinstance(value, dict):
            for key, item in list(value.items())[:100]:
                found.update(arrays_in(item, f"{path}[{key!r}]", depth + 1, seen))
        elif isinstance(value, (list, tuple)):
            fields = getattr(type(value), "_fields", None)
            for i, item in enumerate(list(value)[:100]):
                label = f"{path}.{fields[i]}" if fields and i < len(fields) else f"{path}[{i}]"
                found.update(arrays_in(item, label, depth + 1, seen))
        elif hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value):
            for key, item in list(vars(value).items())[:100]:
                found.update(arrays_in(item, f"{path}.{key}", depth + 1, seen))
    except Exception:  # a hostile __getattr__ or container: nothing more is looked at
        pass
    return found


def changed_arrays(before: dict, value: Any) -> list:
    """Which of the arrays copied by :func:`arrays_in` the call changed (or replaced by another shape)."""
    after = arrays_in(value)
    changes = []
    for path, old in before.items():
        new = after.get(path)
        try:
            if new is None or new.shape != old.shape or new.dtype != old.dtype:
                changes.append(f"{path.lstrip('.')} (replaced)")
            elif not np.array_equal(new, old, equal_nan=True):
                count = int((~((new == old) | (np.isnan(new) & np.isnan(old)) if new.dtype.kind in "fc"
                              else (new == old))).sum())
                changes.append(f"{path.lstrip('.')} ({count} of {old.size} entries)")
        except Exception:
            changes.append(f"{path.lstrip('.')} (changed)")
    return changes


def apply_rlimits(limits: dict) -> None:
    """Limit this process before any student code runs (POSIX only)."""
    try:
        import resource
    except ImportError:  # Windows: the wall-clock timeouts are the only limit there
        return
    wanted = {
        "RLIMIT_CPU": limits.get("cpu_seconds"),
        "RLIMIT_AS": limits.get("address_space_bytes"),
        "RLIMIT_FSIZE": limits.get("file_size_bytes"),
        "RLIMIT_NOFILE": limits.get("open_files"),
        # Only sent where it bounds this sandbox alone (a user namespace of a non-root grader).
        "RLIMIT_NPROC": limits.get("processes"),
        "RLIMIT_CORE": 0,  # why: a crash must not write a core file of student memory
    }
    for name, value in wanted.items():
        which = getattr(resource, name, None)
        if which is None or value is None:
            continue
        try:
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            # macOS refuses RLIMIT_AS; the timeouts still bound the process.
            pass


def main() -> None:
    # A worker whose grader died must not live on (a hung student loop would run forever).
    lifeline.die_with_parent()
    # The protocol moves off fds 0 and 1 before any student code can run.
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")
    Worker(proto_in, proto_out).serve()


if __name__ == "__main__":
    main()
