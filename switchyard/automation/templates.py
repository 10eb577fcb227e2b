"""Title and description templates: ``{placeholder}`` names checked when a rule is saved."""

from __future__ import annotations

from string import Formatter


def template_errors(template: str, allowed: frozenset[str]) -> list[str]:
    """What is wrong with a template (empty when it is fine)."""
    try:
        names = [name for _, name, spec, conv in Formatter().parse(template) if name is not None]
        specs = [(spec, conv) for _, name, spec, conv in Formatter().parse(template) if name]
    except ValueError as error:
        return [f"Not a valid template: {error}. Write a literal brace as {{{{ or }}}}."]
    unknown = sorted({name or "{}" for name in names} - allowed)
    if unknown:
        return [
            f"Unknown placeholder{'s' if len(unknown) > 1 else ''}: "
            f"{', '.join('{' + n + '}' if n != '{}' else n for n in unknown)}. "
            f"Available: {', '.join('{' + n + '}' for n in sorted(allowed))}."
        ]
    if any(spec or conv for spec, conv in specs):
        return ["Placeholders take no format spec or conversion: write {title}, not {title!r}."]
    return []


def render(template: str, values: dict[str, object]) -> str:
    """Fill a template checked by ``template_errors``."""
    return template.format_map(values)
