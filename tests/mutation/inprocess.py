"""Put one mutant into a running interpreter, for a forked child to test it.

A mutant inside a function swaps that function's code object: every reference
to the function (a ``from ... import``, a catalogue entry, a bound method) runs
the mutant, and nothing is imported again. A mutant in module-level or
class-level code (a constant, a catalogue entry, a decorator) changes what the
import built, so it takes a fresh import of the project with the mutated source
(``MutantFinder``); that is slower, and also the judge of every mutant the code
swap leaves alive (a function that only runs at import, a cached result).
"""

from __future__ import annotations

import builtins
import gc
import importlib.abc
import importlib.util
import os
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CodeKey = tuple[str, int]
"""A code object's identity across compilations of one file: (qualified name, first line)."""

PROJECT_PACKAGES = ("rayfort", "rayfort_tools", "tests", "stacks", "main")
"""Top-level names of the project's own modules: what a fresh import imports again."""

CDK_TOUCHED = 77
"""Exit status of a forked child whose tests called the CDK runtime (jsii): their result is void."""
HARNESS_ERROR = 70
"""Exit status of a forked child that could not put its mutant in place: a defect of this harness."""


class CosmicRayTestingException(Exception):  # noqa: N818 - the name cosmic-ray's ExceptionReplacer writes
    """What cosmic-ray's ExceptionReplacer puts in an ``except`` clause: an exception nothing raises."""


def key(code: types.CodeType) -> CodeKey:
    return code.co_qualname, code.co_firstlineno


def _children(code: types.CodeType) -> list[types.CodeType]:
    return [const for const in code.co_consts if isinstance(const, types.CodeType)]


def _own(code: types.CodeType) -> tuple:
    """What a code object does itself, apart from the code objects nested in it."""
    consts = tuple((type(c), c) for c in code.co_consts if not isinstance(c, types.CodeType))
    return code.co_code, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars, consts


def _is_body(code: types.CodeType) -> bool:
    """Module or class body: run once, at import."""
    return code.co_name == "<module>" or not (code.co_flags & (0x1 | 0x2))  # CO_OPTIMIZED | CO_NEWLOCALS


@dataclass
class Plan:
    """How to put a mutant in place: swap function code objects, or import the project again."""

    swaps: list[tuple[CodeKey, types.CodeType]] = field(default_factory=list)
    """(original code's key, mutated code) for every function whose code differs."""
    mutated: list[CodeKey] = field(default_factory=list)
    """The code objects the mutation itself is in (not only their enclosing ones): what a test must run."""
    module_level: bool = False
    """The mutation is in code that runs at import: only a fresh import shows it."""


def plan(filename: str, original: str, mutated: str) -> Plan:
    """Compare two compilations of a module and say what differs and where."""
    old = compile(original, filename, "exec", dont_inherit=True)
    new = compile(mutated, filename, "exec", dont_inherit=True)
    result = Plan()

    def walk(a: types.CodeType, b: types.CodeType) -> bool:
        """Record differences below ``a``; whether ``a`` differs at all."""
        kids_a, kids_b = _children(a), _children(b)
        if len(kids_a) != len(kids_b) or a.co_qualname != b.co_qualname:
            result.module_level = True
            return True
        differs = False
        for child_a, child_b in zip(kids_a, kids_b, strict=True):
            differs |= walk(child_a, child_b)
        if _own(a) != _own(b):
            differs = True
            result.mutated.append(key(a))
            if _is_body(a):
                result.module_level = True
        if differs and not _is_body(a):
            result.swaps.append((key(a), b))
        return differs

    walk(old, new)
    return result


def live_functions(filename: str) -> dict[CodeKey, list[types.FunctionType]]:
    """Every function object alive in this interpreter whose code comes from ``filename``, by code key."""
    found: dict[CodeKey, list[types.FunctionType]] = {}
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType) and obj.__code__.co_filename == filename:
            found.setdefault(key(obj.__code__), []).append(obj)
    return found


def module_functions(module: types.ModuleType) -> dict[CodeKey, list[types.FunctionType]]:
    """The functions and methods a module defines, by code key: what ``live_functions`` finds, without a heap scan."""
    found: dict[CodeKey, list[types.FunctionType]] = {}

    def add(obj: object) -> None:
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if isinstance(obj, property):
            for accessor in (obj.fget, obj.fset, obj.fdel):
                add(accessor)
        elif isinstance(obj, types.FunctionType) and obj.__code__.co_filename == module.__file__:
            found.setdefault(key(obj.__code__), []).append(obj)

    for value in list(vars(module).values()):
        add(value)
        if isinstance(value, type) and value.__module__ == module.__name__:
            for member in vars(value).values():
                add(member)
    return found


def execute_again(module: types.ModuleType, source: str | None = None) -> None:
    """Run a module's code again in its own namespace (mutated source, or its file): what it built is rebuilt.

    Functions defined elsewhere that read the module's globals see the new values;
    modules that copied a name at import must be executed again after it.
    """
    builtins.CosmicRayTestingException = CosmicRayTestingException  # type: ignore[attr-defined]
    filename = module.__file__ or ""
    text = source if source is not None else Path(filename).read_text(encoding="utf-8")
    exec(compile(text, filename, "exec", dont_inherit=True), module.__dict__)


def cached_functions(functions: dict[CodeKey, list[types.FunctionType]]) -> set[CodeKey]:
    """Code keys of functions behind a ``functools`` cache: a swapped code would answer from the cache."""
    return {
        code_key
        for code_key, found in functions.items()
        for function in found
        if any(type(r).__name__ == "_lru_cache_wrapper" for r in gc.get_referrers(function))
    }


def clear_project_caches() -> int:
    """Empty every ``functools`` cache of a project function (a test's cached judge run, say): a mutant must
    be judged by a fresh computation, never by a result the parent cached before the mutant was in place."""
    cleared = 0
    for obj in gc.get_objects():
        if type(obj).__name__ == "_lru_cache_wrapper" and _in_project(inspect_module(obj)):
            obj.cache_clear()
            cleared += 1
    return cleared


def inspect_module(function: object) -> types.ModuleType | None:
    return sys.modules.get(getattr(function, "__module__", "") or "")


def swap(plan_: Plan, functions: dict[CodeKey, list[types.FunctionType]]) -> int:
    """Give every live function the mutated code; how many were swapped."""
    builtins.CosmicRayTestingException = CosmicRayTestingException  # type: ignore[attr-defined]
    swapped = 0
    for code_key, code in plan_.swaps:
        for function in functions.get(code_key, []):
            function.__code__ = code
            swapped += 1
    return swapped


class CodeRecorder:
    """Which code objects of some files each test runs (a ``sys.settrace`` call hook; lines are not traced)."""

    def __init__(self, filenames: set[str]) -> None:
        self._filenames = filenames
        self.seen: set[tuple[str, CodeKey]] = set()

    def _trace(self, frame: types.FrameType, event: str, arg: object) -> None:
        code = frame.f_code
        if code.co_filename in self._filenames:
            self.seen.add((code.co_filename, key(code)))

    def __enter__(self) -> CodeRecorder:
        self.seen = set()
        sys.settrace(self._trace)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)


# --- a fresh import with the mutated source ---------------------------------------------------


class MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves one module's mutated source, under its real file name; every other import goes on as usual."""

    def __init__(self, module: str, filename: str, source: str) -> None:
        self._module, self._filename, self._source = module, filename, source

    def find_spec(self, fullname, path, target=None):  # noqa: ANN001 - the import system's signature
        if fullname != self._module:
            return None
        spec = importlib.util.spec_from_file_location(fullname, self._filename, loader=self)
        return spec

    def create_module(self, spec):  # noqa: ANN001
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        exec(compile(self._source, self._filename, "exec", dont_inherit=True), module.__dict__)


_ROOT = Path(__file__).resolve().parents[2]


def _in_project(module: types.ModuleType | None) -> bool:
    """A module loaded from the repository, not from a virtualenv or node_modules (tests in a folder without
    ``__init__.py`` are imported under their bare file name, so the name alone does not tell)."""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    try:
        relative = Path(file).resolve().relative_to(_ROOT)
    except ValueError:
        return False
    return not relative.parts[0].startswith((".venv", "node_modules"))


def forget_project_modules() -> None:
    """Drop the project's modules, so the next import runs them again (third-party ones stay loaded)."""
    for name, module in list(sys.modules.items()):
        if name.split(".", 1)[0] in PROJECT_PACKAGES or _in_project(module):
            del sys.modules[name]


def install_mutant(module: str, filename: str, source: str) -> None:
    """Import the project afresh from here on, with ``module`` built from ``source``."""
    builtins.CosmicRayTestingException = CosmicRayTestingException  # type: ignore[attr-defined]
    forget_project_modules()
    sys.meta_path.insert(0, MutantFinder(module, filename, source))


# --- the forked child ----------------------------------------------------------------------------

_cdk_touched = False


def guard_cdk() -> None:
    """Refuse the CDK runtime in a forked child: the jsii kernel's pipe belongs to the parent.

    A fast test that synthesizes would otherwise talk to the parent's node
    process; the child exits with ``CDK_TOUCHED`` instead, and the run stops.
    """
    try:
        from jsii._kernel.providers import process
    except ImportError:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        global _cdk_touched
        _cdk_touched = True
        raise RuntimeError("a mutation test called the CDK runtime (jsii) in a forked child")

    process._NodeProcess.send = refuse  # type: ignore[method-assign]


def child_exit(code: int) -> None:
    """Leave a forked child at once (no atexit handlers: they belong to the parent)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(CDK_TOUCHED if _cdk_touched else code)


def quiet() -> None:
    """Send a forked child's output nowhere; the parent reports."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def source_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def iter_codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for child in _children(code):
        yield from iter_codes(child)
