"""The figures of ``grade audit`` (see :mod:`grader.audit`), from what the grader processes
sent back for each graded entry: per rubric item, recall (generated mutants and catalogued
mistakes in its scope that lost it) and precision (correct variants that kept it); the
catalogued mistakes' verdicts; the tolerance calibration; the summary line."""

from __future__ import annotations

import ast
import dataclasses
import datetime
import math
import re
from pathlib import Path

from grader import __version__, course, probe

# Why: a tolerance should sit at least 100x above the correct forms' spread (``tight``
# otherwise) and at least 10x below the closest bug the tests caught (``loose`` otherwise).
TIGHT_MARGIN = 100.0
LOOSE_MARGIN = 10.0


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


# A number in a check's name (a step, a seed, an input's value) does not make it another check.
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def checks(recorder: probe.Recorder) -> list[tuple[str, str, float, float]]:
    """(test without its parameters, check name with numbers as #, rtol, relative error) of
    every comparison."""
    found = []
    for recorded in recorder.probes:
        test = re.sub(r"\[.*\]$", "", recorded.test)
        for name, rtol, error in recorded.checks:
            found.append((test, _NUMBER.sub("#", name)[:200], rtol, error))
    return found


# -- the audit --------------------------------------------------------------------------------
def lost_items(document: dict) -> list[str]:
    return sorted({t["extra_data"]["item"] for t in document["tests"] if t["score"] < t["max_score"]})


def _messages(document: dict, items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for test in document["tests"]:
        item = test["extra_data"]["item"]
        if item in items and item not in out:
            out[item] = (test.get("output") or "")[:2000]
    return out


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def report(graded: course.Assignment, entries: list[Entry], answers: dict, by_id: dict,
            recorder: probe.Recorder, *, seed: int, inputs_digest: str, min_recall: float, min_precision: float,
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

    note_checks(checks(recorder), "correct")
    for entry in entries:
        answer = answers.get(f"{entry.kind}:{entry.name}", {"document": None, "checks": [], "expected": None,
                                                            "detail": "not graded"})
        document = answer["document"]
        broken = document is None or document["extra_data"]["status"] == "grader_error"
        detail = answer["detail"] or ("" if document is None else
                                      "; ".join(document["extra_data"]["grader_errors"])[:1000])
        lost = [] if document is None else lost_items(document)
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
        "inputs_sha256": inputs_digest,
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
