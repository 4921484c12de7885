"""The settings of etcd, Patroni, HAProxy and PgBouncer are files under config/, with `${name}`
placeholders (string.Template) for what differs per node, port or run."""

from __future__ import annotations

from pathlib import Path
from string import Template

CONFIG = Path(__file__).resolve().parent / "config"


def render(template: str, **values: object) -> str:
    """config/`template` with its placeholders filled in; a placeholder left unfilled raises."""
    return Template((CONFIG / template).read_text()).substitute(values)
