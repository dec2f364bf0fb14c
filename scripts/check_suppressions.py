"""Fail when a suppression of ruff's security rules (`S…`, bandit's checks) gives no reason.

Every `# noqa: S…` (and `# ruff: noqa: S…`) must say why on its own line or in a comment line
right above it; so must every `S` code in ruff's ignore lists of the configuration. A blanket
`# noqa` (no codes) would hide the `S` rules too, so it is refused outright: name the codes.
Run by `make lint`; tests/test_security_checks.py proves it fails on samples.

Usage: python scripts/check_suppressions.py [root]   (exit 1 and one line per finding)
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

# What ruff reads its configuration from, in the order it looks.
CONFIG_FILES = (".ruff.toml", "ruff.toml", "pyproject.toml")
SKIP_DIRS = {".venv", "venv", "var", "node_modules", ".git", ".ruff_cache", "static", "migrations"}

_NOQA = re.compile(
    r"#\s*(?:ruff\s*:\s*)?noqa\b(?P<colon>\s*:\s*)?"
    r"(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]+)*)?(?P<rest>.*)$"
)
_S_CODE = re.compile(r"^S[0-9]*$")
# A quoted `S` code (or the whole `S` family) in a TOML array.
_TOML_S_CODE = re.compile(r"""["'](S[0-9]*)["']""")
# A reason has at least two words (a code or a lone letter is not one).
_WORD = re.compile(r"[^\W\d_]{2,}")


def is_reason(text: str) -> bool:
    return len(_WORD.findall(text)) >= 2


def _comment_above(lines: list[str], index: int) -> bool:
    """The line right above `index` (0-based) is a comment line that gives a reason."""
    if index == 0:
        return False
    above = lines[index - 1].strip()
    return above.startswith("#") and "noqa" not in above and is_reason(above.lstrip("#"))


def noqa_problems(source: str, name: str = "<string>") -> list[str]:
    """Findings in one Python source: `S` suppressions without a reason, blanket noqa."""
    if "noqa" not in source:
        return []
    lines = source.splitlines()
    problems = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        return [f"{name}: cannot be read as Python ({exc})"]
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _NOQA.search(token.string)
        if match is None:
            continue
        row = token.start[0]
        where = f"{name}:{row}"
        if not match["colon"] or not match["codes"]:
            problems.append(f"{where}: blanket noqa hides the S rules too; name the codes")
            continue
        codes = re.split(r"[\s,]+", match["codes"].strip())
        security = [code for code in codes if _S_CODE.match(code)]
        if not security:
            continue
        if is_reason(match["rest"]) or _comment_above(lines, row - 1):
            continue
        problems.append(
            f"{where}: `noqa: {', '.join(security)}` without a reason "
            "(say why on the line or in a comment right above)"
        )
    return problems


def config_problems(text: str, name: str = "pyproject.toml") -> list[str]:
    """`S` codes in ruff's ignore lists (global or per file) without a reason beside or above.

    Only the ruff sections of a pyproject.toml count; a ruff.toml is ruff's throughout.
    """
    problems = []
    lines = text.splitlines()
    in_ruff = not name.endswith("pyproject.toml")
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            header = stripped.strip("[]").strip()
            in_ruff = header.startswith("tool.ruff") or not name.endswith("pyproject.toml")
            continue
        if not in_ruff or stripped.startswith("#"):
            continue
        code_part, _, comment = line.partition("#")
        codes = _TOML_S_CODE.findall(code_part)
        if not codes:
            continue
        # `select = ["S", …]` turns the rules on; only ignoring them needs a reason.
        key = code_part.partition("=")[0].strip().strip("\"'")
        if key in ("select", "extend-select", "fixable", "unfixable", "extend-safe-fixes"):
            continue
        if is_reason(comment) or _comment_above(lines, index):
            continue
        problems.append(
            f"{name}:{index + 1}: ignores {', '.join(codes)} without a reason "
            "(a comment on the line or right above)"
        )
    return problems


def python_files(root: Path):
    for path in sorted(root.rglob("*.py")):
        parts = set(path.relative_to(root).parts[:-1])
        if not parts & SKIP_DIRS:
            yield path


def check_tree(root: Path) -> list[str]:
    problems = []
    for path in python_files(root):
        problems += noqa_problems(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    for config in CONFIG_FILES:
        path = root / config
        if path.exists():
            problems += config_problems(path.read_text(encoding="utf-8"), config)
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else ".").resolve()
    problems = check_tree(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"FAILED: {len(problems)} security-rule suppression(s) without a reason")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
