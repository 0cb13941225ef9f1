"""`python -m tests.faults`: the fault drills, the load run and bad input at volume.

python -m tests.faults drills              # every drill, full length (about 10 minutes)
python -m tests.faults drills --short      # the short form CI runs
python -m tests.faults drills --only stale-lock redis-restart
python -m tests.faults drills --only all-together --until-fail --repeat 30 --keep /tmp/drills
python -m tests.faults load                # 50,000 commands over 500 classes
python -m tests.faults bad-input --count 5000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from . import bad_input
from .drills import DRILLS, NO_FAULT
from .report import as_json, render_load, render_table
from .runner import FULL, LOAD, SHORT, DrillReport, Size, run_drill

# --until-fail without --repeat: stop after this many runs even if none fails.
UNTIL_FAIL_RUNS = 100


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
    if args.repeat is not None or args.until_fail:
        return _repeat(args, size, names)
    reports = []
    for name in names:
        print(f"drill {name}: {DRILLS[name].fault} ...", file=sys.stderr, flush=True)
        report = run_drill(DRILLS[name], size, seed=args.seed, workdir=_workdir(args, name))
        print(f"  {'pass' if report.passed else 'FAIL'} in {report.seconds:.0f} s", file=sys.stderr)
        reports.append(report)
    print(as_json(reports) if args.json else render_table(reports))
    return 0 if all(report.passed for report in reports) else 1


def _repeat(args: argparse.Namespace, size: Size, names: list[str]) -> int:
    """The chosen drills again and again: a line per run, the workdirs of failed runs kept
    (logs, journals, Redis's files), the others deleted, then a summary."""
    runs = args.repeat or UNTIL_FAIL_RUNS
    keep = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gb-drills-"))
    keep.mkdir(parents=True, exist_ok=True)
    done, failed, kept = 0, 0, []
    for number in range(1, runs + 1):
        for name in names:
            workdir = keep / f"{name}-run{number:03d}-{time.strftime('%Y%m%d-%H%M%S')}"
            workdir.mkdir(parents=True)
            outcome, report = _one_run(name, size, args.seed + number - 1, workdir)
            done += 1
            print(f"run {number}/{runs} {name}: {outcome}", flush=True)
            if report is not None and report.passed:
                shutil.rmtree(workdir, ignore_errors=True)
                continue
            failed += 1
            kept.append(workdir)
            if report is not None:
                (workdir / "report.txt").write_text(render_table([report]) + "\n")
        if failed and args.until_fail:
            break
    print(f"{done} runs, {failed} failed" + (f"; logs kept in {keep}" if kept else ""))
    for workdir in kept:
        print(f"  {workdir}")
    if not kept and not args.keep:
        shutil.rmtree(keep, ignore_errors=True)
    return 1 if failed else 0


def _one_run(name: str, size: Size, seed: int, workdir: Path) -> tuple[str, DrillReport | None]:
    """One drill run and its line; a run that raised is a failure with its traceback kept."""
    try:
        report = run_drill(DRILLS[name], size, seed=seed, workdir=workdir)
    except Exception:  # the drill itself broke (a load process crashed, a worker did not start)
        (workdir / "traceback.txt").write_text(traceback.format_exc())
        return f"ERROR, see {workdir / 'traceback.txt'}", None
    found = report.findings
    line = (
        f"{'pass' if report.passed else 'FAIL'} in {report.seconds:.0f} s, "
        f"{found.commands} commands ({report.per_second:.0f}/s), {report.faults} faults, "
        f"longest answer {report.longest_answer_s:.1f} s, {report.worker_exits} worker exits"
    )
    if not report.passed:
        line += "; " + "; ".join(found.problems[:3])
    return line, report


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
    parser.add_argument(
        "--repeat", type=int, help="drills: run the chosen drills N times, keeping failed runs"
    )
    parser.add_argument(
        "--until-fail",
        action="store_true",
        help=f"drills: stop at the first failed run (at most --repeat runs, {UNTIL_FAIL_RUNS} "
        "without it)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
