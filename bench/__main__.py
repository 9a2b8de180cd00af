"""The benchmark harness: each topic runs in its own process and prints figures.

Topics are the ``bench/bench_<topic>.py`` modules; each exposes
``run(quick: bool = False) -> dict[str, float | str]``. A fresh process per
topic keeps peak-memory figures (``ru_maxrss``) honest and a crash in one
topic from hiding the others. Nothing here asserts a goal: the figures are
reported, and people compare them with the goals in the issues.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def topics() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def run_topic(topic: str, quick: bool) -> dict[str, object]:
    code = (
        "import json, resource, sys\n"
        f"from bench import bench_{topic} as b\n"
        f"figures = b.run(quick={quick!r})\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "figures.setdefault('peak_rss_mib', round(peak, 1))\n"
        "print('__FIGURES__' + json.dumps(figures))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=HERE.parent, capture_output=True, text=True, check=False
    )
    for line in proc.stdout.splitlines():
        if line.startswith("__FIGURES__"):
            return dict(json.loads(line.removeprefix("__FIGURES__")))
    return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("topics", nargs="*", help=f"topics to run (default: all of {', '.join(topics())})")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    parser.add_argument("--json", action="store_true", help="print one JSON object per topic")
    args = parser.parse_args()
    chosen = args.topics or topics()
    unknown = sorted(set(chosen) - set(topics()))
    if unknown:
        parser.error(f"unknown topic(s): {', '.join(unknown)}")
    info = machine()
    if not args.json:
        print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    failed = False
    for topic in chosen:
        figures = run_topic(topic, args.quick)
        failed |= "error" in figures
        if args.json:
            print(json.dumps({"topic": topic, "machine": info, **figures}))
            continue
        print(f"\n[{topic}]")
        for key, value in figures.items():
            print(f"  {key:32} {value}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
