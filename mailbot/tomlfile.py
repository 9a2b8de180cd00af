"""Read TOML files and validate them, with errors that name file, line and key.

``tomllib`` reports syntax errors with a line; pydantic reports schema errors
with a key path but no line. :func:`load_model` joins the two: it parses,
validates against a pydantic model with ``extra="forbid"``, and maps the key
path of the first problem back to the line where that key is written, so an
admin reads ``policies/response.toml:12: targets.email.hours: Input should be
greater than 0`` instead of a traceback.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from mailbot.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


class StrictModel(BaseModel):
    """Base for every config/policy schema: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Return the parsed table and the source text of a TOML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError("file not found", path=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file: {exc}", path=str(path)) from exc
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        match = _AT_LINE.search(str(exc))
        line = int(match.group(1)) if match else None
        reason = _AT_LINE.sub("", str(exc)).strip()
        raise ConfigError(f"invalid TOML: {reason}", path=str(path), line=line) from exc


def _split_key(raw: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", raw)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def key_line(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Find the 1-based line where the key at ``loc`` is written, if any.

    ``loc`` is a pydantic error location such as ``("mailboxes", 1, "port")``;
    integers index arrays of tables (``[[mailboxes]]``). Falls back to the
    line of the closest enclosing table when the key itself is absent (a
    missing required key is reported at its table).
    """
    names = [p for p in loc if isinstance(p, str)]
    table: list[str] = []
    array_seen: dict[str, int] = {}
    best: tuple[int, int] | None = None  # (matched depth, line)
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(2))
            if header.group(1) == "[[":
                dotted = ".".join(table)
                array_seen[dotted] = array_seen.get(dotted, -1) + 1
            if not _table_matches(table, loc, array_seen):
                continue
            depth = len(table)
            if depth <= len(names) and (best is None or depth > best[0]):
                best = (depth, number)
            continue
        assign = _ASSIGN.match(line)
        if not assign:
            continue
        full = table + _split_key(assign.group(1))
        if not _table_matches(table, loc, array_seen):
            continue
        depth = _common_prefix(full, names)
        if depth == len(full) and (best is None or depth > best[0]):
            best = (depth, number)
    return best[1] if best else None


def _table_matches(table: list[str], loc: tuple[str | int, ...], array_seen: dict[str, int]) -> bool:
    """True when the current table header is compatible with ``loc``."""
    names: list[str] = []
    for index, part in enumerate(loc):
        if isinstance(part, int):
            dotted = ".".join(names)
            in_array = table[: len(names)] == names and dotted in array_seen
            if in_array and array_seen[dotted] != part:
                return False
            continue
        names.append(part)
        if index >= len(loc):
            break
    return _common_prefix(table, names) == len(table)


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def format_loc(loc: tuple[str | int, ...]) -> str:
    """Render a key path the way TOML writes it: ``mailboxes[1].port``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def validate(model: type[M], data: dict[str, Any], *, path: Path, text: str) -> M:
    """Validate ``data`` against ``model``; raise one clear ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if isinstance(p, str | int))
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        elif first["type"] == "missing":
            message = "required key is missing"
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(
            message, path=str(path), line=key_line(text, loc), key=format_loc(loc) or None
        ) from exc


def load_model(model: type[M], path: Path) -> M:
    """Read and validate one TOML file into ``model``."""
    data, text = read_toml(path)
    return validate(model, data, path=path, text=text)
