#!/usr/bin/env python3
"""The attack suite's table, from tests/attacks.toml (the one list of attacks).

  attacks.py table JUNIT CONTRACT_LOG   prints each attack, how it was refused, what was
                                        not lost, and whether all its tests ran and passed
                                        (JUNIT: cargo-nextest's JUnit report; CONTRACT_LOG:
                                        `cargo test`'s output in contracts/); exits 1 if not
  attacks.py check README.md            exits 1 unless the README's security table (between
                                        the attacks markers) is the list, as `markdown` prints it
  attacks.py markdown                   prints that table
"""
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- attacks:begin -->", "<!-- attacks:end -->"


def attacks():
    with open(ROOT / "tests" / "attacks.toml", "rb") as f:
        return tomllib.load(f)["attack"]


def markdown():
    rows = ["| attack | refused how | nothing lost | tests |", "|---|---|---|---|"]
    for a in attacks():
        tests = "; ".join(f"`{t.split(' ', 1)[1].split('::')[-1]}`" for t in a["tests"])
        rows.append(f"| {a['attack']} | {a['refused']} | {a['nothing_lost']} | {tests} |")
    return "\n".join(rows)


def outcomes(junit, contract_log):
    """`<binary id> <test name>` → passed?"""
    seen = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failed = any(child.tag in ("failure", "error") for child in case)
        seen[f"{case.get('classname')} {case.get('name')}"] = not failed
    for line in Path(contract_log).read_text().splitlines():
        # `test tests::name ... ok` (or FAILED)
        if line.startswith("test ") and " ... " in line:
            name, result = line[5:].split(" ... ", 1)
            seen[f"contracts {name.strip()}"] = result.strip() == "ok"
    return seen


def table(junit, contract_log):
    seen = outcomes(junit, contract_log)
    ok = True
    width = 70
    print(f"{'attack':<{width}} | result")
    print("-" * (width + 12))
    for a in attacks():
        results = [seen.get(t) for t in a["tests"]]
        if all(r is True for r in results):
            verdict = "refused, nothing lost"
        elif any(r is False for r in results):
            verdict, ok = "FAILED", False
        else:
            missing = [t for t, r in zip(a["tests"], results) if r is None]
            verdict, ok = f"NOT RUN: {', '.join(missing)}", False
        print(f"{a['attack'][:width]:<{width}} | {verdict}")
        print(f"{'':<4}refused: {a['refused']}")
        print(f"{'':<4}not lost: {a['nothing_lost']}")
    return ok


def check(readme):
    text = Path(readme).read_text()
    if BEGIN not in text or END not in text:
        print(f"{readme}: no {BEGIN} … {END} section", file=sys.stderr)
        return False
    inside = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    if inside != markdown():
        print(f"{readme}'s security table is not tests/attacks.toml: run `scripts/attacks.py markdown`", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["table", junit, contract_log]:
            sys.exit(0 if table(junit, contract_log) else 1)
        case ["check", readme]:
            sys.exit(0 if check(readme) else 1)
        case ["markdown"]:
            print(markdown())
        case _:
            print(__doc__, file=sys.stderr)
            sys.exit(2)
