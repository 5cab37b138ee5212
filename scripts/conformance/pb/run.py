#!/usr/bin/env python3
"""Conformance: meedoen's `pb tally --json` beside pabutools on every pabulib file.

usage: run.py MEEDOEN_BINARY DATA_DIR [--skip-large-pabutools] [--rules greedy,mes,mes-add1]

For each .pb file under DATA_DIR/{amsterdam,official,large} and each rule, runs our binary
and pabutools (pabutools_run.py, a separate process) and requires identical winner sets.
Assen 2024's mes-add1 outcome must equal its official `selected` column. With
--skip-large-pabutools, files in large/ run only through meedoen (checking it finishes and
stays within budget). Exits non-zero on any difference.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def ours(binary, path, rule):
    t = time.perf_counter()
    out = subprocess.run(
        [binary, "pb", "tally", path, "--rule", rule, "--json"],
        capture_output=True, text=True,
    )
    dt = time.perf_counter() - t
    if out.returncode != 0:
        raise RuntimeError(f"meedoen failed on {path} {rule}: {out.stderr}")
    return json.loads(out.stdout), dt


def theirs(path, rule):
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, "pabutools_run.py"), path, rule],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"pabutools failed on {path} {rule}: {out.stderr}")
    return json.loads(out.stdout)


def official_selected(path):
    ids, sel = [], []
    section, header = None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line in ("META", "PROJECTS", "VOTES"):
                section, header = line, None
                continue
            if section == "PROJECTS":
                cells = line.split(";")
                if header is None:
                    header = cells
                    continue
                row = dict(zip(header, cells))
                if row.get("selected") == "1":
                    sel.append(row["project_id"])
    return sel


def main():
    args = sys.argv[1:]
    binary, data = args[0], args[1]
    skip_large = "--skip-large-pabutools" in args
    rules = ["greedy", "mes", "mes-add1"]
    if "--rules" in args:
        rules = args[args.index("--rules") + 1].split(",")
    root = os.path.join(data, "pabulib")
    if not os.path.isdir(root):
        sys.exit(f"FAIL: pabulib data not found at {root} (set MEEDOEN_SHARED_DATA)")
    files = []
    for sub in ("official", "amsterdam", "large"):
        d = os.path.join(root, sub)
        if not os.path.isdir(d):
            sys.exit(f"FAIL: missing data folder {d}")
        files += [(sub, os.path.join(d, f)) for f in sorted(os.listdir(d)) if f.endswith(".pb")]
    passed = failed = skipped = 0
    for sub, path in files:
        name = os.path.basename(path)
        for rule in rules:
            o, dt = ours(binary, path, rule)
            line = f"{name:<34} {rule:<9} ours {dt*1000:9.1f} ms"
            if o["total_cost"] > o["budget"]:
                print(f"{line}  FAIL over budget")
                failed += 1
                continue
            if sub == "large" and skip_large:
                print(f"{line}  pabutools skipped (large)")
                skipped += 1
                continue
            t = theirs(path, rule)
            same = sorted(o["selected"]) == sorted(t["selected"])
            line += f"  pabutools {t['seconds']*1000:10.1f} ms  "
            if same:
                passed += 1
                print(line + "same winners")
            else:
                failed += 1
                print(line + "DIFFERENT")
                print(f"   ours:      {o['selected']}")
                print(f"   pabutools: {t['selected']}")
        if sub == "official":
            o, _ = ours(binary, path, "mes-add1")
            off = official_selected(path)
            if sorted(o["selected"]) == sorted(off):
                passed += 1
                print(f"{name:<34} mes-add1 equals the official selected column {off}")
            else:
                failed += 1
                print(f"{name:<34} mes-add1 DIFFERS from official {off}: {o['selected']}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
