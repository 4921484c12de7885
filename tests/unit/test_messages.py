"""Validation messages in words, and a document that says what is enforced: every pattern the
OpenAPI document states has its rule in words (api/schemas.py PATTERN_RULES), which the `400`
details give instead of the regular expression; bounds the document cannot state in its
keywords are in the descriptions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from api.schemas import PATTERN_RULES

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())


def patterns(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "pattern" and isinstance(item, str):
                yield item
            else:
                yield from patterns(item)
    elif isinstance(value, list):
        for item in value:
            yield from patterns(item)


def test_every_documented_pattern_has_its_rule_in_words() -> None:
    found = set(patterns(DOCUMENT))
    assert found, "no pattern in docs/openapi.json"
    assert found <= PATTERN_RULES.keys(), found - PATTERN_RULES.keys()
    for rule in PATTERN_RULES.values():
        assert "^" not in rule and "[" not in rule, rule


def test_the_document_says_what_it_cannot_state_in_keywords() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert "bytes" in schemas["RegisterBody"]["properties"]["password"]["description"]
    assert "bytes" in schemas["LoginBody"]["properties"]["password"]["description"]
    for name in ("PostCreate", "PostUpdate"):
        tags = schemas[name]["properties"]["tags"]
        assert "10 distinct" in tags["description"]
        assert "case-insensitively" in tags["description"]
