"""The locked dependencies against the known vulnerabilities, never a silent pass.

    python scripts/audit.py [--strict] [LOCKFILE]   (default: requirements.lock)

Runs pip-audit on requirements.lock (PyPI's advisories, per release). It fails on any known
vulnerability. A dependency pip-audit could not audit fails the run too while PyPI answers
for that release; when the service does not answer (an index mirror without the per-release
JSON, no network), the packages that are their project's latest release are still checked
against the advisories PyPI lists for that release, and the rest are named on a line starting
`NOT AUDITED:` — a failure with --strict (`make audit`), a loud warning in `make test`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PYPI = "https://pypi.org/pypi"
TIMEOUT = 15


def pip_audit(lock: Path) -> tuple[dict | None, str]:
    """pip-audit's JSON report of the lock (None when it failed before one), and its stderr."""
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        *("-r", str(lock), "--no-deps", "--disable-pip"),
        *("--format", "json", "--progress-spinner", "off", "--timeout", str(TIMEOUT)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - pip-audit of this venv, fixed arguments
    try:
        return json.loads(done.stdout), done.stderr
    except json.JSONDecodeError:
        return None, done.stderr or done.stdout


def fetch_json(url: str) -> tuple[int, dict | None]:
    """(HTTP status, body) of a PyPI JSON page; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - a fixed https URL
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


def service_state(name: str, version: str) -> str | None:
    """None when PyPI answers for this release (pip-audit had no excuse), else why not."""
    status, _ = fetch_json(f"{PYPI}/{name}/{version}/json")
    if status == 200:
        return None
    if status == 0:
        return "PyPI's JSON API does not answer here (no network to it)"
    project_status, project = fetch_json(f"{PYPI}/{name}/json")
    if status == 404 and project_status == 200 and version in (project or {}).get("releases", {}):
        return (
            f"the package index here serves no per-release JSON ({PYPI}/{name}/{version}/json "
            f"answers 404 although the release is listed), which pip-audit reads advisories from"
        )
    return f"{PYPI}/{name}/{version}/json answers {status}"


def latest_release_vulns(name: str, version: str) -> list[str] | None:
    """Advisory ids PyPI lists for `version` when it is the project's latest release (the
    project page carries that release's advisories); None when it is not or nothing answers."""
    status, project = fetch_json(f"{PYPI}/{name}/json")
    if status != 200 or project is None or project.get("info", {}).get("version") != version:
        return None
    return [v["id"] for v in project.get("vulnerabilities") or [] if not v.get("withdrawn")]


def read_pins(text: str) -> dict[str, str]:
    pins = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def evaluate(
    pins: dict[str, str],
    report: dict | None,
    stderr: str = "",
    *,
    strict: bool = False,
    state=service_state,
    latest=latest_release_vulns,
) -> tuple[list[str], int]:
    """(lines to print, exit status) of an audit: pip-audit's report judged as the module
    docstring says; `state` and `latest` ask PyPI (replaced in tests)."""
    if report is None:
        # pip-audit stopped before a report: the service errored (unreachable, say).
        reason = (stderr.strip().splitlines() or ["pip-audit failed"])[-1]
        return [f"NOT AUDITED: {len(pins)} packages: pip-audit failed: {reason}"], int(strict)
    vulnerable, skipped, audited = [], [], 0
    for dep in report["dependencies"]:
        if dep.get("skip_reason"):
            skipped.append(canonicalize_name(dep["name"]))
        elif dep.get("vulns"):
            ids = ", ".join(v["id"] for v in dep["vulns"])
            vulnerable.append(f"{dep['name']} {dep['version']}: {ids}")
        else:
            audited += 1
    not_audited, reason = [], None
    if skipped:
        first = skipped[0]
        reason = state(first, pins.get(first, ""))
        if reason is None:
            vulnerable.append(
                f"{len(skipped)} package(s) skipped by pip-audit while PyPI answers for "
                f"{first} {pins.get(first)}: {', '.join(skipped)}"
            )
        else:
            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = list(pool.map(lambda n: latest(n, pins.get(n, "")), skipped))
            for name, ids in zip(skipped, answers, strict=True):
                if ids is None:
                    not_audited.append(name)
                elif ids:
                    vulnerable.append(f"{name} {pins.get(name)}: {', '.join(ids)}")
                else:
                    audited += 1
    lines = [f"VULNERABLE: {line}" for line in vulnerable]
    lines.append(
        f"audited: {audited} of {len(pins)} packages" + ("" if vulnerable else ", none vulnerable")
    )
    if not_audited:
        lines.append(
            f"NOT AUDITED: {len(not_audited)} of {len(pins)} packages ({', '.join(not_audited)}): "
            f"{reason}; only releases that are their project's latest could be checked"
        )
    if vulnerable:
        lines.append("FAILED: known vulnerabilities in the locked dependencies")
        return lines, 1
    return lines, int(strict and bool(not_audited))


def main(argv: list[str]) -> int:
    files = [Path(arg) for arg in argv[1:] if not arg.startswith("-")]
    lock = files[0] if files else LOCK
    pins = read_pins(lock.read_text(encoding="utf-8"))
    print(f"== audit of {lock.name} ({len(pins)} packages) ==", flush=True)
    report, stderr = pip_audit(lock)
    lines, status = evaluate(pins, report, stderr, strict="--strict" in argv)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
