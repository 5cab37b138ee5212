#!/usr/bin/env python3
"""Runs pabutools (GPL, used only as a separate-process oracle) on one pabulib file.

usage: pabutools_run.py FILE.pb RULE   (RULE: greedy, mes, mes-add1)
prints one JSON object: {"seconds": <rule time>, "selected": [<project id>, ...]}

The tie-break matches meedoen's default: lowest cost, then most votes, then project id.
"""
import json
import sys
import time

from pabutools.election import parse_pabulib, Cost_Sat
from pabutools.rules import (
    greedy_utilitarian_welfare,
    method_of_equal_shares,
    exhaustion_by_budget_increase,
)
from pabutools.tiebreaking import TieBreakingRule


def main():
    path, rule = sys.argv[1], sys.argv[2]
    instance, profile = parse_pabulib(path)
    # Approval scores are counted once, outside the timed part, so the tie-break key does
    # not recount the ballots at every comparison.
    score = {p.name: profile.approval_score(p) for p in instance}
    tie = TieBreakingRule(
        lambda inst, prof, proj: (proj.cost, -score[proj.name], proj.name)
    )
    start = time.perf_counter()
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(
            instance, profile, sat_class=Cost_Sat, tie_breaking=tie
        )
    elif rule == "mes":
        outcome = method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, tie_breaking=tie
        )
    elif rule == "mes-add1":
        outcome = exhaustion_by_budget_increase(
            instance,
            profile,
            method_of_equal_shares,
            {"sat_class": Cost_Sat, "tie_breaking": tie},
            exhaustive_stop=False,
            budget_step=profile.num_ballots(),
        )
    else:
        sys.exit(f"unknown rule {rule}")
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "selected": [p.name for p in outcome]}))


if __name__ == "__main__":
    main()
