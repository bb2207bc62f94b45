"""A grammar check of Cloud Logging query language filters, so a broken sink filter fails at synth.

Cloud Logging accepts a malformed filter only when the sink or metric is
created, at apply time, or worse, accepts a wrong one silently: a lowercase
``and`` is a free-text search term, not a conjunction, so a sink routes far
fewer entries than intended. This parser implements the grammar of
https://cloud.google.com/logging/docs/view/logging-query-language for what
rayfort writes:

    query      := expression
    expression := term { [AND | OR] term }        juxtaposition is AND
    term       := (NOT | "-") term | "(" expression ")" | comparison | call
    comparison := field operator value
    field      := segment { "." segment }          segment: a name or a quoted string
    operator   := "=" | "!=" | ":" | "=~" | "!~" | "<" | "<=" | ">" | ">="
    value      := string | number | word | "(" value { (AND | OR) value } ")"
    call       := log_id "(" string ")" | source "(" string ")"

A field must start with a LogEntry field, an AuditLog field must follow
``protoPayload`` (the payload of every audit log), severities must be
LogSeverity names, and AND, OR and NOT must be uppercase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LOG_ENTRY_FIELDS = frozenset(
    {
        "logName",
        "resource",
        "protoPayload",
        "textPayload",
        "jsonPayload",
        "timestamp",
        "receiveTimestamp",
        "severity",
        "insertId",
        "httpRequest",
        "labels",
        "operation",
        "trace",
        "spanId",
        "traceSampled",
        "sourceLocation",
        "split",
        "errorGroups",
        "apphub",
    }
)
AUDIT_LOG_FIELDS = frozenset(
    {
        "@type",
        "serviceName",
        "methodName",
        "resourceName",
        "resourceLocation",
        "resourceOriginalState",
        "numResponseItems",
        "status",
        "authenticationInfo",
        "authorizationInfo",
        "policyViolationInfo",
        "requestMetadata",
        "request",
        "response",
        "metadata",
        "serviceData",
    }
)
MONITORED_RESOURCE_FIELDS = frozenset({"type", "labels"})
SEVERITIES = ("DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY")
OPERATORS = ("=~", "!~", "!=", "<=", ">=", "=", ":", "<", ">")
FUNCTIONS = frozenset({"log_id", "source"})
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>=~|!~|!=|<=|>=|=|:|<|>)
      | (?P<paren>[()])
      | (?P<dot>\.)
      | (?P<minus>-(?=[\w"(]))
      | (?P<word>[@\w/*%+-]+)
    )""",
    re.VERBOSE,
)


class FilterSyntaxError(ValueError):
    """A filter Cloud Logging would refuse or misread; the message says where and what is allowed."""


@dataclass(frozen=True)
class Comparison:
    """One ``field operator value`` of a parsed filter."""

    field: tuple[str, ...]
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(query: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(query):
        if query[position:].strip() == "":
            break
        match = _TOKEN.match(query, position)
        if match is None or match.end() == position:
            raise FilterSyntaxError(f"unexpected character {query[position:].lstrip()[:1]!r} at {position}")
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokens(query)
        self.index = 0
        self.comparisons: list[Comparison] = []

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterSyntaxError("the filter ends where a term was expected")
        self.index += 1
        return token

    def expect(self, kind: str, text: str | None = None) -> _Token:
        token = self.take()
        if token.kind != kind or (text is not None and token.text != text):
            raise FilterSyntaxError(f"expected {text or kind} at {token.position}, found {token.text!r}")
        return token

    def parse(self) -> list[Comparison]:
        if not self.tokens:
            raise FilterSyntaxError("the filter is empty: it would match every log entry")
        self.expression()
        leftover = self.peek()
        if leftover is not None:
            raise FilterSyntaxError(f"unbalanced parentheses: unexpected {leftover.text!r} at {leftover.position}")
        return self.comparisons

    def expression(self) -> None:
        self.term()
        while True:
            token = self.peek()
            if token is None or (token.kind == "paren" and token.text == ")"):
                return
            if token.kind == "word" and token.text in ("AND", "OR"):
                self.take()
            self.term()

    def term(self) -> None:
        token = self.take()
        if token.kind == "word" and token.text.lower() in ("and", "or", "not") and token.text not in ("NOT",):
            if token.text in ("AND", "OR"):
                raise FilterSyntaxError(f"{token.text} at {token.position} has no term before it")
            raise FilterSyntaxError(
                f"lowercase {token.text!r} at {token.position} is a search term, not an operator; "
                "write AND, OR, NOT in capitals"
            )
        if token.kind == "word" and token.text == "NOT" or token.kind == "minus":
            self.term()
            return
        if token.kind == "paren" and token.text == "(":
            self.expression()
            if self.peek() is None:
                raise FilterSyntaxError(f"unbalanced parentheses: '(' at {token.position} is never closed")
            self.expect("paren", ")")
            return
        if token.kind == "word" and token.text in FUNCTIONS:
            self.expect("paren", "(")
            self.expect("string")
            self.expect("paren", ")")
            return
        if token.kind not in ("word", "string"):
            raise FilterSyntaxError(f"expected a field at {token.position}, found {token.text!r}")
        self.comparison(token)

    def comparison(self, first: _Token) -> None:
        field = [_unquote(first)]
        while (token := self.peek()) is not None and token.kind == "dot":
            self.take()
            segment = self.take()
            if segment.kind not in ("word", "string"):
                raise FilterSyntaxError(f"expected a field name after '.' at {segment.position}")
            field.append(_unquote(segment))
        operator = self.peek()
        if operator is None or operator.kind != "op":
            raise FilterSyntaxError(
                f"{'.'.join(field)} at {first.position} has no operator; allowed: {' '.join(OPERATORS)} "
                "(a bare word is a global text search, which rayfort does not write)"
            )
        self.take()
        values = self.values()
        _check_field(tuple(field), first.position)
        if field == ["severity"]:
            unknown = [v for v in values if v.upper() not in SEVERITIES]
            if unknown:
                raise FilterSyntaxError(f"severity {unknown[0]} is not a LogSeverity; allowed: {', '.join(SEVERITIES)}")
        self.comparisons.append(Comparison(tuple(field), operator.text, values))

    def values(self) -> tuple[str, ...]:
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            found = list(self.values())
            while (next_token := self.peek()) is not None and next_token.kind == "word":
                if next_token.text not in ("AND", "OR"):
                    raise FilterSyntaxError(f"expected AND or OR between values at {next_token.position}")
                self.take()
                found += self.values()
            self.expect("paren", ")")
            return tuple(found)
        if token.kind not in ("string", "word"):
            raise FilterSyntaxError(f"expected a value at {token.position}, found {token.text!r}")
        if token.kind == "word" and token.text in ("AND", "OR", "NOT"):
            raise FilterSyntaxError(f"expected a value at {token.position}, found the operator {token.text}")
        return (_unquote(token),)


def _unquote(token: _Token) -> str:
    if token.kind == "string":
        return re.sub(r"\\(.)", r"\1", token.text[1:-1])
    return token.text


def _check_field(field: tuple[str, ...], position: int) -> None:
    root = field[0]
    if root not in LOG_ENTRY_FIELDS:
        raise FilterSyntaxError(
            f"{'.'.join(field)} at {position}: {root} is not a LogEntry field; "
            f"allowed: {', '.join(sorted(LOG_ENTRY_FIELDS))}"
        )
    if root == "protoPayload" and len(field) > 1 and field[1] not in AUDIT_LOG_FIELDS:
        raise FilterSyntaxError(
            f"{'.'.join(field)} at {position}: {field[1]} is not an AuditLog field; "
            f"allowed: {', '.join(sorted(AUDIT_LOG_FIELDS))}"
        )
    if root == "resource" and (len(field) < 2 or field[1] not in MONITORED_RESOURCE_FIELDS):
        raise FilterSyntaxError(f"{'.'.join(field)} at {position}: a resource filter names resource.type or .labels")


def parse_filter(query: str) -> list[Comparison]:
    """The comparisons of ``query``, or FilterSyntaxError saying what Cloud Logging would refuse or misread."""
    return _Parser(query).parse()
