"""Import of children from a CSV or XLSX file: every row checked first, then filed at once.

report (columns, rows, result) · reading (the file into cells) · rows (one row cleaned) ·
checks (the whole file against itself and the database) · filing (the two steps, the import).
"""

from pfdo.certificates.imports.checks import parse_bytes, parse_file
from pfdo.certificates.imports.filing import check_upload, discard, import_rows, import_stashed
from pfdo.certificates.imports.jobs import IMPORT_JOB, discard_file, run_import, start_import
from pfdo.certificates.imports.reading import MAX_BYTES, read_upload
from pfdo.certificates.imports.report import (
    COLUMNS,
    TITLES,
    ImportReport,
    ImportResult,
    ImportRow,
    template_csv,
)

__all__ = [
    "COLUMNS",
    "IMPORT_JOB",
    "MAX_BYTES",
    "TITLES",
    "ImportReport",
    "ImportResult",
    "ImportRow",
    "check_upload",
    "discard",
    "discard_file",
    "import_rows",
    "import_stashed",
    "parse_bytes",
    "parse_file",
    "read_upload",
    "run_import",
    "start_import",
    "template_csv",
]
