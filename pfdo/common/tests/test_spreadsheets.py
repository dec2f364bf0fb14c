"""The one helper every export passes its text cells through."""

import pytest

from pfdo.common.spreadsheets import safe_text


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(lead):
    assert safe_text(f"{lead}cmd|' /C calc'!A0") == f"'{lead}cmd|' /C calc'!A0"


@pytest.mark.parametrize("text", ["Шахматы", "'=quoted", "a=b", "", None])
def test_other_text_is_unchanged(text):
    assert safe_text(text) == text
