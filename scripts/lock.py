"""requirements.lock: the resolved dependencies of pyproject.toml (with the dev extra).

    python scripts/lock.py write   resolve afresh with pip (no install) and rewrite the lock
    python scripts/lock.py check   the lock covers every dependency, direct or not, of
                                   pyproject.toml, pinned at the version installed here

`make` installs with the lock as constraints and `make audit` audits the lock, so what is
audited is what is installed; `check` (make lint, tests/test_security_checks.py) proves it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
EXTRAS = ("dev",)
HEADER = """\
# The resolved dependencies of pyproject.toml with its dev extra, for Python 3.11 on Linux:
# what `make` installs (pip install -c requirements.lock) and what `make audit` audits.
# Written by `make lock` (a fresh resolution: the newest versions pyproject.toml allows);
# not edited by hand. `python scripts/lock.py check` proves it covers every dependency.
"""

# (version, Requires-Dist lines) of an installed distribution, or None when it is missing.
Installed = Callable[[str], tuple[str, list[str]] | None]


def resolve() -> list[tuple[str, str]]:
    """(name, version) of everything `pip install -e .[dev]` would install, resolved afresh."""
    command = [
        sys.executable,
        *("-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"),
        *("--report", "-", "-e", f".[{','.join(EXTRAS)}]"),
    ]
    done = subprocess.run(  # noqa: S603 - this interpreter's pip, fixed arguments
        command, cwd=ROOT, capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout)
    return sorted(
        (item["metadata"]["name"], item["metadata"]["version"])
        for item in report["install"]
        if not item.get("is_direct")  # the project itself, editable
    )


def write(pins: list[tuple[str, str]]) -> str:
    lines = [f"{name}=={version}" for name, version in sorted(pins, key=lambda p: p[0].lower())]
    return HEADER + "\n".join(lines) + "\n"


def parse_lock(text: str) -> dict[str, str]:
    pins = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not version.strip():
            raise ValueError(f"not a pin: {raw!r}")
        pins[canonicalize_name(name)] = version.strip()
    return pins


def declared(pyproject: dict) -> list[Requirement]:
    project = pyproject["project"]
    names = list(project.get("dependencies", []))
    for extra in EXTRAS:
        names += project.get("optional-dependencies", {}).get(extra, [])
    return [Requirement(name) for name in names]


def _installed(name: str) -> tuple[str, list[str]] | None:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    return dist.version, list(dist.requires or [])


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras | {""})


def problems(
    lock: dict[str, str], requirements: list[Requirement], installed: Installed = _installed
) -> list[str]:
    """What is wrong with the lock: a dependency (direct or transitive) not pinned, pinned at
    another version than is installed, or outside pyproject's range; a pin nothing needs."""
    found = []
    reached: dict[str, set[str]] = {}
    queue = [(requirement, set(), "pyproject.toml") for requirement in requirements]
    while queue:
        requirement, parent_extras, needed_by = queue.pop(0)
        if not _applies(requirement, parent_extras):
            continue
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        pinned = lock.get(name)
        if pinned is None:
            found.append(f"{name}: needed by {needed_by}, not in requirements.lock")
        elif needed_by == "pyproject.toml" and not requirement.specifier.contains(
            pinned, prereleases=True
        ):
            found.append(f"{name}: locked {pinned}, pyproject.toml wants {requirement.specifier}")
        if name in reached and extras <= reached[name]:
            continue
        reached[name] = reached.get(name, set()) | extras
        dist = installed(name)
        if dist is None:
            found.append(f"{name}: needed by {needed_by}, not installed")
            continue
        version, requires = dist
        if pinned is not None and version != pinned:
            found.append(f"{name}: installed {version}, locked {pinned} (make installs the lock)")
        queue += [(Requirement(line), reached[name], name) for line in requires]
    for name in sorted(set(lock) - set(reached)):
        found.append(f"{name}: locked but needed by nothing (refresh: make lock)")
    return found


def check() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    if not LOCK.exists():
        return ["requirements.lock is missing (make lock)"]
    return problems(parse_lock(LOCK.read_text(encoding="utf-8")), declared(pyproject))


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "write":
        LOCK.write_text(write(resolve()), encoding="utf-8")
        print(f"wrote {LOCK.name}")
        return 0
    found = check()
    for problem in found:
        print(problem)
    if found:
        print(
            f"FAILED: requirements.lock does not match pyproject.toml and this environment "
            f"({len(found)} problem(s)); `make lock` refreshes it"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
