"""Read an environment file into a validated Environment, or explain exactly why not.

Every problem is reported as ``file:line: field.path: value: what is allowed``,
all of them at once, so a user fixes a file in one pass. Nothing here raises
anything but ConfigError for bad input.
"""

from __future__ import annotations

import difflib
import json
import os
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from rayfort.config.environment import Environment, Problem, cross_field_problems

ENV_VAR = "RAYFORT_ENV"
DEFAULT_ENVIRONMENT = "dev"

Path_ = tuple[str | int, ...]


class ConfigError(Exception):
    """An environment file that cannot be used, with every reason found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(
            f"{source} is not a valid rayfort environment ({count}):\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )


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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        available = sorted(p.stem for p in path.parent.glob("*.yaml")) if path.parent.is_dir() else []
        hint = f"; environments here: {', '.join(available)}" if available else ""
        raise ConfigError(source, [f"file not found{hint}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [f"cannot be read: {exc}"]) from None
    data, lines = _parse_yaml(source, text)
    if not isinstance(data, dict):
        raise ConfigError(source, [f"line 1: the file must be a mapping of settings, not {_describe(data)}"])
    try:
        env = Environment.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            source, _by_line(_format_pydantic_error(error, data, lines) for error in exc.errors())
        ) from None
    problems = cross_field_problems(env)
    if problems:
        raise ConfigError(source, _by_line(_format_problem(problem, lines) for problem in problems))
    return env


def _by_line(messages: typing.Iterable[str]) -> list[str]:
    """Messages in file order; each starts with "line N:"."""
    return sorted(messages, key=lambda message: int(message.split(":", 1)[0].removeprefix("line ")))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses repeated keys, which YAML would silently overwrite."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is repeated (first at line {seen[key]})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(source: str, text: str) -> tuple[Any, dict[Path_, int]]:
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [f"{where}YAML syntax error: {problem}"]) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return data, lines


def _index_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            lines[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines)


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


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    return type(value).__name__.replace("dict", "a mapping").replace("list", "a list").replace("str", "text")


def _show(value: Any) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _format_pydantic_error(error: dict[str, Any], data: dict, lines: dict[Path_, int]) -> str:
    path = _data_path(error["loc"], data)
    line = _line_for(path, lines)
    kind = error["type"]
    if kind == "extra_forbidden":
        parent, key = path[:-1], path[-1]
        allowed = _allowed_keys(parent, data)
        guess = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.7)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        return f"line {line}: {_dotted(path)}: unknown key{hint}; allowed keys here: {', '.join(allowed) or 'none'}"
    if kind == "missing":
        return f"line {line}: {_dotted(path)}: is required"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"line {line}: {_dotted(path)}: {_show(error.get('input'))} is not allowed: {message}"


def _format_problem(problem: Problem, lines: dict[Path_, int]) -> str:
    line = _line_for(problem.path, lines)
    return f"line {line}: {_dotted(problem.path)}: {_show(problem.value)} is not allowed: {problem.message}"


def _allowed_keys(path: Path_, data: dict) -> list[str]:
    """Field names of the model found at ``path``, walking the models alongside the data."""
    model: Any = Environment
    current: Any = data
    for part in path:
        current = current[part] if isinstance(current, (dict, list)) else None
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
        tagged = [o for o in options if tag in typing.get_args(o.model_fields.get("backend").annotation or ())]
        return tagged or options
    return []
