"""Reading figures back out of a rendered report page (stdlib HTML parser): cards by their
``data-figure`` and tables by ``data-table``, each cell with its raw ``data-value`` and its text."""

from html.parser import HTMLParser


class ReportHTML(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.cards: dict[str, dict] = {}
        self.tables: dict[str, list[dict]] = {}
        self._card = None
        self._capture = None  # (dict, key) receiving text
        self._table = None
        self._row = None
        self._cell = None
        self._depth = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article" and "data-figure" in a:
            self._card = self.cards.setdefault(a["data-figure"], {"value": "", "change": "", "n": "", "median": ""})
        if self._card is not None:
            for key in ("value", "change", "n", "median"):
                if f"data-{key}" in a:
                    self._capture = (self._card, key)
                    self._depth = 0
            if self._capture:
                self._depth += 1
        if tag == "table" and "data-table" in a:
            self._table = self.tables.setdefault(a["data-table"], [])
        if self._table is not None and tag == "tr" and "data-key" in a:
            self._row = {"key": a["data-key"], "cells": [], "header": ""}
            self._table.append(self._row)
        if self._row is not None and tag == "td":
            self._cell = {"value": a.get("data-value"), "text": ""}
            self._row["cells"].append(self._cell)
        if self._row is not None and tag == "th":
            self._cell = {"header": True, "text": ""}
        if tag == "span" and self._cell is not None:
            classes = (a.get("class") or "").split()
            if self._cell.get("skip") or "prev" in classes or "low-mark" in classes:
                self._cell["skip"] = self._cell.get("skip", 0) + 1
                if "prev" in classes:
                    self._cell["previous"] = ""

    def handle_endtag(self, tag):
        if self._capture and tag not in ("br",):
            self._depth -= 1
            if self._depth <= 0:
                self._capture = None
        if tag == "article":
            self._card = None
        if tag == "table":
            self._table = None
        if tag == "tr":
            self._row = None
        if tag in ("td", "th") and self._cell is not None:
            if self._cell.get("header") and self._row is not None:
                self._row["header"] = self._cell["text"].strip()
            self._cell = None
        if tag == "span" and self._cell is not None and self._cell.get("skip"):
            self._cell["skip"] -= 1

    def handle_data(self, data):
        if self._capture:
            target, key = self._capture
            target[key] += data
        if self._cell is not None:
            if not self._cell.get("skip"):
                self._cell["text"] += data
            elif "previous" in self._cell and self._cell["skip"] == 1:
                self._cell["previous"] += data


def parse(response) -> ReportHTML:
    parsed = ReportHTML(response.content.decode())
    for card in parsed.cards.values():
        for key in card:
            card[key] = " ".join(card[key].split())
    for rows in parsed.tables.values():
        for row in rows:
            for cell in row["cells"]:
                cell["text"] = " ".join(cell["text"].split()).rstrip("*").strip()
    return parsed
