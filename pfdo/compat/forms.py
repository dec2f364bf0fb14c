"""The form of the operator's page of old ПФДО programme ids."""

from __future__ import annotations

from django import forms

from pfdo.compat.services.aliases import MAX_FILE_BYTES, MAX_ROWS


class AliasUploadForm(forms.Form):
    file = forms.FileField(
        label="Файл CSV или XLSX",
        help_text=(
            f"До {MAX_FILE_BYTES // (1024 * 1024)} МБ и {MAX_ROWS} строк. Два столбца: номер программы "
            "в этой системе и её номер в ПФДО; заголовок «program_id;pfdo_id» — по желанию."
        ),
        error_messages={"required": "Выберите файл.", "empty": "Файл пустой."},
    )
