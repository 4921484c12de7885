"""The structure of `api/`, read from its source: no import cycle, sanic-ext reached from one
module only, and every generic call of an api.* function (api/db.py) naming a function and
parameters the SQL has."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "api"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(API.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module of `api/` that `name` imports, wherever the import is: at the top, under
    TYPE_CHECKING, inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from api import metrics` imports the module api.metrics; `from api.x import y`,
            # the module api.x (or api.x.y when that is a module).
            found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), and self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_from_the_source() -> None:
    graph = import_graph()
    # Imports of each kind the graph must see: top level, TYPE_CHECKING-free package imports
    # (`from api import metrics`), and a function's own (api/__main__.py imports the app late).
    assert "api.replica_reads" in graph["api.db"]
    assert "api.metrics" in graph["api.cache"]
    assert "api.app" in graph["api.__main__"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_api_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_sanic_ext_only_in_the_adapter() -> None:
    """Only api/sanic_ext_adapter.py (pinned to the versions it was written for:
    tests/unit/test_sanic_ext_adapter.py) imports sanic-ext, whose OpenAPI internals it uses."""
    importing = set()
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            if any(module.split(".")[0] == "sanic_ext" for module in modules):
                importing.add(name)
    assert importing == {"api.sanic_ext_adapter"}


# --------------------------------------------------------------------------------------------
# The generic calls of api.* functions (api/db.py) against the functions' SQL

DB_METHODS = {"value", "row", "read", "write", "write_row", "write_once"}  # api.db.Db's calls
_CREATE = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+api\.(\w+)\s*\(", re.I)


def sql_functions() -> dict[str, set[str]]:
    """Each api.* function's parameter names, from the scripts that deploy them."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "db").rglob("*.sql"):
        if {"revert", "verify", "reworked", "tests"} & set(path.relative_to(ROOT).parts):
            continue
        text = path.read_text()
        for match in _CREATE.finditer(text):
            depth, end = 1, match.end()
            while depth:  # to the parenthesis closing the parameter list (`text[]` nests none)
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            params = re.findall(r"\b(p_\w+)\s", text[match.end() : end])
            found.setdefault(match[1], set()).update(params)
    return found


def db_calls() -> list[tuple[str, str, set[str]]]:
    """(where, function, keyword arguments) of every `<...>.db.<call>("f", a=...)` and
    `Db.<call>` in api/, and of `partial(<...>.db.value, "f")`."""
    calls = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func, first = node.func, node.args[0]
            if isinstance(func, ast.Name) and func.id == "partial" and len(node.args) > 1:
                func, first = node.args[0], node.args[1]
            if (
                isinstance(func, ast.Attribute)
                and func.attr in DB_METHODS
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and ast.unparse(func.value).split(".")[-1] in ("db", "self")
            ):
                named = {kw.arg for kw in node.keywords if kw.arg and kw.arg != "current"}
                calls.append((f"{name}:{node.lineno}", first.value, named))
    return calls


def test_every_call_names_a_function_and_its_parameters() -> None:
    """What mypy cannot see through the generic call, read from the source: each called api.*
    function exists, and each keyword is one of its `p_` parameters (PostgreSQL would refuse
    it at run time with 42883)."""
    functions, calls = sql_functions(), db_calls()
    assert len(calls) > 20 and "update_post" in functions
    for where, function, named in calls:
        assert function in functions, f"{where}: no api.{function} in db/"
        unknown = {f"p_{name}" for name in named} - functions[function]
        assert not unknown, f"{where}: api.{function} has no {sorted(unknown)}"
