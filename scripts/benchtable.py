"""The rows every benchmark part hands to `make bench` (scripts/bench_all.py), and the table.

A row is a dict of strings: "part", "measure", "figure", "ceiling", "ratio", "target", and
"met" (True, False, or None where there is no target). No Django here: bench_all prints
the table without setting Django up.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys

COLUMNS = ("part", "measure", "figure", "ceiling", "ratio", "target", "met")


def row(part, measure, figure, ceiling="", ratio="", target="", met=None) -> dict:
    return {
        "part": part,
        "measure": measure,
        "figure": figure,
        "ceiling": ceiling,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def times(figure: float, ceiling: float) -> str:
    """The ratio figure / ceiling, as "3.2×" ("—" when the ceiling is zero)."""
    return f"{figure / ceiling:.1f}×" if ceiling else "—"


def _cells(r: dict) -> list[str]:
    met = {True: "yes", False: "NO", None: "—"}[r.get("met")]
    return [str(r.get(c) or "—") for c in COLUMNS[:-1]] + [met]


def text(rows: list[dict]) -> str:
    cells = [list(COLUMNS)] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: list[dict]) -> str:
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = "".join(
        "| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |\n" for r in rows
    )
    return head + body


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603 - fixed version commands
    except OSError:
        return "not found"
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def load() -> str:
    """The load average (1, 5, 15 minutes): other work on the machine shows in every figure."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def machine(database_url: str, load_before: str) -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ram = "?"
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    postgres = "?"
    try:
        import psycopg

        with psycopg.connect(database_url) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as exc:  # the table is still worth printing
        postgres = f"? ({type(exc).__name__})"
    redis = _first_line(["redis-server", "--version"])
    return {
        "CPU": f"{cpu} × {os.cpu_count()}",
        "RAM": ram,
        "OS": platform.platform(),
        "PostgreSQL": postgres,
        "Redis": redis,
        "Python": sys.version.split()[0],
        "load average before / after (1, 5, 15 min)": f"{load_before}; {load()}",
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }
