"""What the products app announces on the event bus (``core.events``); subscribers live in higher
apps and are listed in docs/architecture.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MappingChanged:
    """Rows of a mappable (``ids``) were mapped to another product, or to none."""

    mappable: str
    ids: tuple[int, ...]
