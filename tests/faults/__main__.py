"""`python -m tests.faults`: the fault drills, the load run and bad input at volume.

python -m tests.faults drills              # every drill, full length (about 10 minutes)
python -m tests.faults drills --short      # the short form CI runs
python -m tests.faults drills --only stale-lock redis-restart
python -m tests.faults load                # 50,000 commands over 500 classes
python -m tests.faults bad-input --count 5000
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from . import bad_input
from .drills import DRILLS, NO_FAULT
from .report import as_json, render_load, render_table
from .runner import FULL, LOAD, SHORT, run_drill


def main(argv: Sequence[str] | None = None) -> int:
    args, rest = _parser().parse_known_args(argv)
    if args.command == "bad-input":
        return bad_input.main(rest)
    if rest:
        _parser().error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "load":
        return _load(args)
    return _drills(args)


def _drills(args: argparse.Namespace) -> int:
    size = SHORT if args.short else FULL
    if args.seconds is not None:
        size = replace(size, duration_s=args.seconds)
    names = args.only or list(DRILLS)
    reports = []
    for name in names:
        print(f"drill {name}: {DRILLS[name].fault} ...", file=sys.stderr, flush=True)
        report = run_drill(DRILLS[name], size, seed=args.seed, workdir=_workdir(args, name))
        print(f"  {'pass' if report.passed else 'FAIL'} in {report.seconds:.0f} s", file=sys.stderr)
        reports.append(report)
    print(as_json(reports) if args.json else render_table(reports))
    return 0 if all(report.passed for report in reports) else 1


def _load(args: argparse.Namespace) -> int:
    threads = LOAD.processes * LOAD.threads
    size = replace(LOAD, commands_per_thread=-(-args.commands // threads), classes=args.classes)
    print(f"load: {args.commands:,} commands over {args.classes} classes ...", file=sys.stderr)
    report = run_drill(NO_FAULT, size, seed=args.seed, workdir=_workdir(args, "load"))
    print(render_load(report))
    return 0 if report.passed else 1


def _workdir(args: argparse.Namespace, name: str) -> Path | None:
    if args.keep is None:
        return None
    workdir = Path(args.keep) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    workdir.mkdir(parents=True)
    return workdir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__)
    parser.add_argument("command", choices=("drills", "load", "bad-input"))
    parser.add_argument("--short", action="store_true", help="the short form CI runs")
    parser.add_argument("--only", nargs="+", choices=sorted(DRILLS), help="these drills only")
    parser.add_argument("--seconds", type=float, help="load length of each drill")
    parser.add_argument("--commands", type=int, default=50_000, help="load: commands in all")
    parser.add_argument("--classes", type=int, default=500, help="load: classes booked")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", help="keep logs and journals under this directory")
    return parser


if __name__ == "__main__":
    sys.exit(main())
