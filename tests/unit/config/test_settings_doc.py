"""The settings model is the one table of settings: the README's Configuration table and `.env.example` are
written from it, so a setting added, renamed or removed in one place and not the other fails here."""

from __future__ import annotations

import re

from devtools import settings_doc
from todo_shared.config.settings import FIELDS, SETTING_NAMES, Settings


def test_the_readme_table_and_the_example_file_are_the_models() -> None:
    assert settings_doc.main(["--check"]) == 0


def test_the_readme_table_names_exactly_the_models_settings_in_its_order() -> None:
    readme = settings_doc.README.read_text(encoding="utf-8")
    table = readme[readme.index(settings_doc.TABLE_START) : readme.index(settings_doc.TABLE_END)]
    names = re.findall(r"^\| `([A-Z0-9_]+)` \|", table, flags=re.MULTILINE)
    assert tuple(names) == SETTING_NAMES
    example = settings_doc.ENV_EXAMPLE.read_text(encoding="utf-8")
    assert re.findall(r"^# ([A-Z0-9_]+)=", example, flags=re.MULTILINE) == [
        name for name in SETTING_NAMES if name not in settings_doc.NOT_IN_ENV_FILE
    ]


def test_every_setting_has_a_meaning_and_ranges_reach_the_table() -> None:
    for name, field in FIELDS.items():
        assert field.description, name
    row = next(line for line in settings_doc.readme_table().splitlines() if "`BCRYPT_ROUNDS`" in line)
    assert "| 4–16 |" in row
    assert Settings.model_fields["bcrypt_rounds"].alias == "BCRYPT_ROUNDS"
