"""YAML loading that remembers where each value came from, so validation errors can name the line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.errors import InputError


class LocatedYaml:
    """A parsed YAML document plus the line of every mapping key and sequence item.

    Args:
        path: the YAML file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError("file not found", file=self.path)
        text = self.path.read_text(encoding="utf-8")
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data: Any = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=self.path, line=line) from exc
        self._lines: dict[tuple, int] = {}
        if node is not None:
            self._index(node, ())

    def _index(self, node: yaml.Node, loc: tuple) -> None:
        self._lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value
                line = key_node.start_mark.line + 1
                if key in seen:
                    # PyYAML would keep the last one silently; a duplicated id is always a mistake.
                    where = ".".join(map(str, loc + (key,)))
                    raise InputError(
                        f"duplicate key '{where}' (first defined on line {seen[key]})", file=self.path, line=line
                    )
                seen[key] = line
                self._lines[loc + (key,)] = key_node.start_mark.line + 1
                self._index(value_node, loc + (key,))
                # Keep the key's own line for the entry (a nested mapping starts on the next line).
                self._lines[loc + (key,)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, loc + (i,))

    def line_of(self, loc: Sequence[Any]) -> int | None:
        """Line of the deepest known prefix of `loc` (pydantic error locations may go deeper)."""
        loc = tuple(loc)
        while loc:
            if loc in self._lines:
                return self._lines[loc]
            loc = loc[:-1]
        return self._lines.get(())

    def validate(self, model: type[BaseModel], data: Any | None = None, base_loc: tuple = ()) -> Any:
        """Validate `data` (default: the whole document) into `model`; errors name file, line and field."""
        try:
            return model.model_validate(self.data if data is None else data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = base_loc + _data_path(self.data if data is None else data, err["loc"])
            field = ".".join(str(p) for p in loc) or "(document)"
            got = err.get("input")
            got_txt = "" if isinstance(got, dict | list) else f"; got {got!r}"
            raise InputError(
                f"field '{field}': {err['msg']}{got_txt}", file=self.path, line=self.line_of(loc)
            ) from exc


def _data_path(data: Any, loc: Sequence[Any]) -> tuple:
    """Keep the parts of a pydantic error location that index the data (drops union-branch labels)."""
    out, cur = [], data
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and part < len(cur):
            cur = cur[part]
        elif isinstance(cur, dict | list):
            if isinstance(cur, dict) and isinstance(part, str) and not any(c in part for c in "[]-"):
                out.append(part)  # a missing or extra field: name it even though it is absent
            continue
        else:
            continue
        out.append(part)
    return tuple(out)
