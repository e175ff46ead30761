"""Grade the reference solution on many seeds (trusted course tool; never run by the grader).

    .venv/bin/python rubrics/optim/tools/reference_seeds.py [N]   # seeds 0..N-1, default 50

Prints the number of seeds with full marks and every item lost on any other seed.
"""

import sys
import warnings
from pathlib import Path

from grader import api
from grader.limits import DEFAULT_LIMITS

REPO = Path(__file__).resolve().parents[3]


def main(n: int) -> int:
    full, lost = 0, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(n):
            document = api.run(submission=REPO / "solutions" / "optim" / "optim.py", assignment="optim",
                               course=REPO, seed=seed, limits=DEFAULT_LIMITS)
            if document["score"] == document["extra_data"]["max_score"] and not document["extra_data"]["grader_errors"]:
                full += 1
            else:
                lost.append((seed, [(t["extra_data"]["item"], t["output"][:300]) for t in document["tests"]
                                    if t["score"] != t["max_score"]], document["extra_data"]["grader_errors"]))
    print(f"reference: full marks on {full} of {n} seeds")
    for entry in lost:
        print(entry)
    return 0 if full == n else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
