"""What an admin page shows of another tenant, and the form a browser would post back."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist

from tests.isolation.world import Tenant

SELECT = re.compile(r'<select name="([^"]+)"[^>]*>(.*?)</select>', re.S)
OPTION_VALUE = re.compile(r'<option value="(\d+)"')
FILTER_LINK = re.compile(r"[?&;]([a-z_]+?)__id__exact=(\d+)")


def related_model(model, path: str):
    try:
        return get_fields_from_path(model, path)[-1].related_model
    except (FieldDoesNotExist, NotRelationField):
        return None


def leaks(html: str, model, victim: Tenant) -> list[str]:
    """The victim's word, admin links to its rows, and its ids offered in selects or filter links."""
    found = []
    if victim.word in html.lower():
        start = html.lower().index(victim.word)
        found.append(f"name: …{html[max(0, start - 80) : start + 40]}…")
    for victim_model, rows in victim.rows.items():
        if victim_model not in admin.site._registry:
            continue
        opts = victim_model._meta
        for row in rows:
            if f"/admin/{opts.app_label}/{opts.model_name}/{row.pk}/" in html:
                found.append(f"link to {opts.label} {row.pk}")
    if model is None:
        return found
    for name, options in SELECT.findall(html):
        target = related_model(model, name)
        offered = {int(pk) for pk in OPTION_VALUE.findall(options)}
        if target is not None and offered & victim.ids(target):
            found.append(
                f"select {name} offers {target._meta.label} {offered & victim.ids(target)}"
            )
    for path, pk in FILTER_LINK.findall(html):
        target = related_model(model, path)
        if target is not None and int(pk) in victim.ids(target):
            found.append(f"filter {path} offers {target._meta.label} {pk}")
    return found


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self._select: tuple[str, bool] | None = None
        self._textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value") or "on")
            elif kind not in ("submit", "button", "file", "image"):
                self._add(name, attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline that follows <textarea>.
            value = self.data[self._textarea][-1]
            self.data[self._textarea][-1] = value.removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def form_data(html: str) -> dict[str, list[str]]:
    """The fields a browser would submit from the page's change form, as rendered."""
    start = html.index("<form ", html.index('id="content-main"'))
    reader = _FormReader()
    reader.feed(html[start : html.index("</form>", start)])
    return dict(reader.data)
