"""Oracle for the sortition conformance suite (runs in a /tmp venv, never part of
the product): the Sortition Foundation's `sortition-algorithms` maximin with the
HiGHS backend, on a categories file in either format and a people file with or
without an id column. Prints one JSON line: {"min_probability", "seconds", "panels"}.

Usage: python oracle.py CATEGORIES.csv PEOPLE.csv K
"""

import csv
import json
import sys
import time

from sortition_algorithms.committee_generation.maximin import find_distribution_maximin
from sortition_algorithms.features import read_in_features
from sortition_algorithms.people import read_in_people
from sortition_algorithms.settings import Settings


def main() -> None:
    cat_path, people_path, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(cat_path, newline="") as f:
        rows = list(csv.DictReader(f))
    # Replication-package format (category,feature,min,max) -> feature,value,min,max.
    if rows and "category" in rows[0]:
        rows = [
            {"feature": r["category"], "value": r["feature"], "min": r["min"], "max": r["max"]}
            for r in rows
        ]
    head = list(rows[0].keys())
    features, _, _ = read_in_features(head, rows, k)

    with open(people_path, newline="") as f:
        people_rows = list(csv.DictReader(f))
    id_col = next((c for c in ("id", "nationbuilder_id") if c in people_rows[0]), None)
    if id_col is None:
        id_col = "id"
        for i, r in enumerate(people_rows):
            r["id"] = str(i)
    settings = Settings(id_column=id_col, columns_to_keep=[], solver_backend="highspy")
    people, _ = read_in_people(list(people_rows[0].keys()), people_rows, features, settings)

    start = time.perf_counter()
    committees, probs, _ = find_distribution_maximin(features, people, k, [], "highspy")
    seconds = time.perf_counter() - start
    marginal = {r[id_col]: 0.0 for r in people_rows}
    for committee, p in zip(committees, probs):
        for pid in committee:
            marginal[pid] += p
    print(
        json.dumps(
            {
                "min_probability": min(marginal.values()),
                "seconds": seconds,
                "panels": sum(1 for p in probs if p > 0),
            }
        )
    )


if __name__ == "__main__":
    main()
