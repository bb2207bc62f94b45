"""Read an environment file into a validated Environment, or explain exactly why not.

Every problem is reported as ``file:line: field.path: value: what is allowed``,
all of them at once, so a user fixes a file in one pass. Nothing here raises
anything but ConfigError for bad input; the YAML itself is read within fixed
bounds (size, values, nesting) by ``_yaml``.
"""

from __future__ import annotations

import difflib
import json
import os
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from rayfort.config import _yaml
from rayfort.config._types import FIELD_RULE, Problem
from rayfort.config._yaml import dotted
from rayfort.config.checks import cross_field_problems
from rayfort.config.environment import Environment

ENV_VAR = "RAYFORT_ENV"
DEFAULT_ENVIRONMENT = "dev"

Path_ = tuple[str | int, ...]


MAX_SHOWN = 50
"""Most problems listed; a file with more is usually not an environment file at all."""


class ConfigError(Exception):
    """An environment file that cannot be used, with every reason found (the first MAX_SHOWN listed)."""

    def __init__(self, source: str, problems: list[str], total: int | None = None) -> None:
        self.source = source
        self.problems = problems[:MAX_SHOWN]
        total = max(total or 0, len(problems))
        count = f"{total} problem{'s' if total != 1 else ''}"
        listed = [f"  - {problem}" for problem in self.problems]
        if total > MAX_SHOWN:
            listed.append(f"  - ... and {total - MAX_SHOWN} more")
        super().__init__(f"{source} is not a valid rayfort environment ({count}):\n" + "\n".join(listed))


def resolve_environment_path(selector: str | None, environments_dir: Path) -> Path:
    """A name under environments/ (``prod``) or a path to a file anywhere."""
    selector = selector or os.environ.get(ENV_VAR) or DEFAULT_ENVIRONMENT
    candidate = Path(selector)
    if candidate.suffix in {".yaml", ".yml"} or os.sep in selector:
        return candidate
    return environments_dir / f"{selector}.yaml"


def load_environment(path: Path) -> Environment:
    """The validated environment in ``path``; raises ConfigError for any bad input."""
    source = str(path)
    try:
        document = _yaml.parse(_yaml.decode(_yaml.read_bytes(path)))
    except FileNotFoundError:
        available = sorted(p.stem for p in path.parent.glob("*.yaml")) if path.parent.is_dir() else []
        hint = f"; environments here: {', '.join(available)}" if available else ""
        raise ConfigError(source, [f"file not found{hint}"]) from None
    except OSError as exc:
        raise ConfigError(source, [f"cannot be read: {exc.strerror or exc}"]) from None
    except _yaml.YamlProblem as exc:
        raise ConfigError(source, [str(exc)]) from None
    data = document.data
    if not isinstance(data, dict):
        raise ConfigError(source, [f"line 1: the file must be a mapping of settings, not {_describe(data)}"])
    try:
        env = Environment.model_validate(data)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda error: _line_for(_error_path(error, data), document.lines))
        shown = [_format_pydantic_error(error, document) for error in errors[:MAX_SHOWN]]
        raise ConfigError(source, shown, total=len(errors)) from None
    problems = cross_field_problems(env)
    if problems:
        raise ConfigError(source, _by_line(_format_problem(problem, document.lines) for problem in problems))
    return env


def _by_line(messages: typing.Iterable[str]) -> list[str]:
    """Messages in file order; each starts with "line N:"."""
    return sorted(messages, key=lambda message: int(message.split(":", 1)[0].removeprefix("line ")))


def _data_path(loc: tuple[Any, ...], data: Any) -> Path_:
    """Pydantic's location with its internal steps (union tags) dropped, following the data."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and not _is_tag(part):
            path.append(part)
            current = None
    return tuple(path)


def _is_tag(part: str) -> bool:
    return part in {"local", "gcs", "cloud"} or part[:1].isupper() or part.startswith("function-")


def _line_for(path: Path_, lines: dict[Path_, int]) -> int:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    return type(value).__name__.replace("dict", "a mapping").replace("list", "a list").replace("str", "text")


def _show(value: Any) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _error_path(error: ErrorDetails, data: dict) -> Path_:
    if error["type"] == FIELD_RULE:
        # A rule across fields of one model, reported at the field it names rather than at the model.
        return _data_path((*error["loc"], *error["ctx"]["field"]), data)
    return _data_path(error["loc"], data)


def _format_pydantic_error(error: ErrorDetails, document: _yaml.Document) -> str:
    data, lines = document.data, document.lines
    kind = error["type"]
    path = _error_path(error, data)
    value = _value_at(data, path) if kind == FIELD_RULE else error.get("input")
    line = _line_for(path, lines)
    if kind == "extra_forbidden":
        parent, key = path[:-1], path[-1]
        allowed = _allowed_keys(parent, data)
        guess = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.7)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        return f"line {line}: {dotted(path)}: unknown key{hint}; allowed keys here: {', '.join(allowed) or 'none'}"
    if kind == "missing":
        return f"line {line}: {dotted(path)}: is required"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    hint = _quote_hint(document.scalars.get(path)) if kind in ("string_type", "literal_error") else ""
    return f"line {line}: {dotted(path)}: {_show(value)} is not allowed: {message}{hint}"


def _quote_hint(node: _yaml.Node | None) -> str:
    """Where YAML read an unquoted value as something other than text, say so and how to write the text."""
    if node is None or not node.plain or isinstance(node.value, str):
        return ""
    if node.text == "":
        return "; the value is empty"
    kind = "a number" if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) else "true/false"
    if node.value is None:
        kind = "null"
    text = _yaml.brief(node.text)
    return f'; YAML reads the unquoted {text} as {kind}: quote it ("{text}") to mean the text'


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _format_problem(problem: Problem, lines: dict[Path_, int]) -> str:
    line = _line_for(problem.path, lines)
    return f"line {line}: {dotted(problem.path)}: {_show(problem.value)} is not allowed: {problem.message}"


def _allowed_keys(path: Path_, data: dict) -> list[str]:
    """Field names of the model found at ``path``, walking the models alongside the data."""
    model: Any = Environment
    current: Any = data
    for part in path:
        if isinstance(current, dict):
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int):
            current = current[part]
        else:
            current = None
        if isinstance(part, int):
            model = _item_type(model)
        else:
            model = _field_type(model, part, current)
        if model is None:
            return []
    models = _model_options(model, current)
    return sorted({name for option in models for name in option.model_fields})


def _field_type(model: Any, name: str, value: Any) -> Any:
    for option in _model_options(model, value):
        field = option.model_fields.get(name)
        if field is not None:
            return field.annotation
    return None


def _item_type(annotation: Any) -> Any:
    for arg in typing.get_args(_strip(annotation)) or ():
        return arg
    return None


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _model_options(annotation: Any, value: Any) -> list[type[BaseModel]]:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [o for arg in typing.get_args(annotation) for o in _model_options(arg, value)]
        tag = value.get("backend") if isinstance(value, dict) else None
        tagged = [o for o in options if tag in typing.get_args(o.model_fields["backend"].annotation or ())]
        return tagged or options
    return []
