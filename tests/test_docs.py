"""Docs that cannot drift: every setting, query parameter and command is in the README."""

import re
from pathlib import Path

import pytest

from searchsvc.cli import build_parser
from searchsvc.params import ListParams, SearchParams
from searchsvc.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field):
    assert f"`{field.upper()}`" in README, f"setting {field.upper()} is missing from README.md"


def _query_names(model) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


@pytest.mark.parametrize("param", sorted(_query_names(ListParams) | _query_names(SearchParams)))
def test_every_query_parameter_is_documented(param):
    assert re.search(rf"`{re.escape(param)}`", README), f"query parameter {param} is missing from README.md"


def _subcommands() -> list[str]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sorted(sub.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_cli_command_is_documented(command):
    assert f"searchsvc {command}" in README, f"`searchsvc {command}` is missing from README.md"
