"""The subset of JQL the fake Jira understands, parsed into a Query (not matched as strings).

Supported: ``project = X`` / ``project in (A, B)``, ``key = K`` / ``key in (...)``,
``labels = x`` / ``labels in (...)``, ``updated`` / ``created`` with ``>= > <= <`` and a date
(``"yyyy-MM-dd HH:mm"``, ``"yyyy/MM/dd HH:mm"`` or ``"yyyy-MM-dd"``, read in the searching user's
time zone), clauses joined by ``AND``, and ``ORDER BY updated|created|key [ASC|DESC]``. Anything
else raises JqlError, which the fake answers with a 400 in Jira's error shape.
Reference: https://support.atlassian.com/jira-service-management-cloud/docs/use-advanced-search-with-jira-query-language-jql/
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo


class JqlError(ValueError):
    """A query the fake cannot run; the message is what Jira would show."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>>=|<=|!=|=|>|<|~)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z0-9_.\-/:]+)
    )""",
    re.VERBOSE,
)
_FIELD_ALIASES = {"issuekey": "key", "label": "labels"}
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    position: int


@dataclass
class Query:
    """What a JQL query asks for: None means "no restriction on this field"."""

    projects: set[str] | None = None
    keys: set[str] | None = None
    labels: set[str] | None = None
    ranges: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # field -> (op, ms)
    order_field: str = "created"
    ascending: bool = False

    @property
    def bounded(self) -> bool:
        return bool(
            self.projects is not None
            or self.keys is not None
            or self.labels is not None
            or self.ranges
        )


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise JqlError(
                f"Error in the JQL Query: The character '{text[position:].lstrip()[:1]}' is a "
                f"reserved JQL character. (line 1, character {position + 1})"
            )
        kind = match.lastgroup or "word"
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(Token(kind, value, match.start(kind) + 1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, time_zone: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.zone = ZoneInfo(time_zone)

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: Expecting more input at the end of the query.")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token.value.lower() != value.lower():
            raise JqlError(
                f"Error in the JQL Query: Expecting '{value}' but got '{token.value}'. "
                f"(line 1, character {token.position})"
            )

    def is_word(self, token: Token | None, *words: str) -> bool:
        return token is not None and token.kind == "word" and token.value.lower() in words

    def parse(self) -> Query:
        query = Query()
        if self.peek() is not None and not self.is_word(self.peek(), "order"):
            self.clause(query)
            while self.is_word(self.peek(), "and"):
                self.take()
                self.clause(query)
        token = self.peek()
        if token is not None and self.is_word(token, "or", "not"):
            raise JqlError(
                f"Error in the JQL Query: the fake Jira does not support '{token.value}'."
            )
        if self.is_word(token, "order"):
            self.take()
            self.expect("by")
            self.order(query)
        if self.peek() is not None:
            token = self.take()
            raise JqlError(
                f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got "
                f"'{token.value}'. (line 1, character {token.position})"
            )
        return query

    def clause(self, query: Query) -> None:
        name_token = self.take()
        name = _FIELD_ALIASES.get(name_token.value.lower(), name_token.value.lower())
        if name not in ("project", "key", "labels", "updated", "created"):
            raise JqlError(
                f"Field '{name_token.value}' does not exist or you do not have permission to view it."
            )
        op_token = self.take()
        operator = op_token.value.lower()
        if name in ("updated", "created"):
            if operator not in (">=", ">", "<=", "<"):
                raise JqlError(
                    f"Error in the JQL Query: the fake Jira supports only >=, >, <= and < on "
                    f"'{name}'. (line 1, character {op_token.position})"
                )
            moment = self.date(self.take())
            query.ranges.setdefault(name, []).append((operator, moment))
            return
        if operator == "=":
            values = {self.value(self.take())}
        elif operator == "in":
            values = self.values()
        else:
            raise JqlError(
                f"Error in the JQL Query: the fake Jira supports only = and IN on '{name}'. "
                f"(line 1, character {op_token.position})"
            )
        if name in ("project", "key"):
            values = {value.upper() for value in values}
        attribute = {"project": "projects", "key": "keys", "labels": "labels"}[name]
        current = getattr(query, attribute)
        setattr(query, attribute, values if current is None else current & values)

    def value(self, token: Token) -> str:
        if token.kind not in ("word", "string"):
            raise JqlError(
                f"Error in the JQL Query: Expecting a value but got '{token.value}'. "
                f"(line 1, character {token.position})"
            )
        return token.value

    def values(self) -> set[str]:
        self.expect("(")
        values = {self.value(self.take())}
        while (token := self.take()).value == ",":
            values.add(self.value(self.take()))
        if token.value != ")":
            raise JqlError(
                f"Error in the JQL Query: Expecting ')' but got '{token.value}'. "
                f"(line 1, character {token.position})"
            )
        return values

    def date(self, token: Token) -> int:
        for pattern in _DATE_FORMATS:
            try:
                naive = datetime.strptime(token.value, pattern)
            except ValueError:
                continue
            return int(naive.replace(tzinfo=self.zone).timestamp() * 1000)
        raise JqlError(
            f"Date value '{token.value}' for field 'updated' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
            "format e.g. '-5d', '4w 2d'."
        )

    def order(self, query: Query) -> None:
        token = self.take()
        name = _FIELD_ALIASES.get(token.value.lower(), token.value.lower())
        if name not in ("updated", "created", "key"):
            raise JqlError(
                f"Error in the JQL Query: the fake Jira cannot order by '{token.value}'."
            )
        query.order_field = name
        query.ascending = name == "key"  # Jira's default direction per field
        if self.is_word(self.peek(), "asc", "desc"):
            query.ascending = self.take().value.lower() == "asc"
        if self.peek() is not None and self.peek().value == ",":  # type: ignore[union-attr]
            raise JqlError("Error in the JQL Query: the fake Jira orders by one field only.")


def parse_jql(text: str, *, time_zone: str = "UTC") -> Query:
    """Parse a JQL query; dates are read in ``time_zone`` (the searching user's)."""
    return _Parser(text, time_zone).parse()


def in_range(value: int, bounds: list[tuple[str, int]]) -> bool:
    """Whether a millisecond timestamp satisfies every (operator, bound) pair."""
    for operator, bound in bounds:
        if (
            (operator == ">=" and value < bound)
            or (operator == ">" and value <= bound)
            or (operator == "<=" and value > bound)
            or (operator == "<" and value >= bound)
        ):
            return False
    return True
