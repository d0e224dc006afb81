"""Load YAML while remembering the line of every key and list item, for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import InputError

Loc = tuple[Any, ...]


@dataclass
class YamlDoc:
    """A parsed YAML document plus where each part of it is.

    Attributes:
        file: the YAML file, for messages.
        data: the document as plain Python values (None for an empty file).
        lines: path (keys and list indices, as in pydantic error `loc`) -> 1-based line.
        duplicate_keys: (path, message, line) for every key given twice in one mapping.
    """

    file: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[Loc, str, int]] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int:
        """Line of `loc`, or of its nearest enclosing entry when `loc` itself is absent."""
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1


def _walk(node: yaml.Node, path: Loc, doc: YamlDoc) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            here = (*path, key)
            if key in seen:
                # PyYAML keeps the last value silently; a repeated key is almost always a mistake.
                doc.duplicate_keys.append(
                    (here, f"key given twice (first at line {seen[key]})", line)
                )
            else:
                seen[key] = line
                doc.lines[here] = line
            _walk(value_node, here, doc)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), doc)


def parse_yaml_with_lines(path: Path) -> YamlDoc:
    """Parse one YAML file into data plus a line map.

    Raises:
        InputError: the file is missing, not UTF-8, or not valid YAML (with the line).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("YAML files must be UTF-8", file=path, line=line) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"not valid YAML: {exc.problem}", file=path, line=line) from None
    finally:
        loader.dispose()
    doc = YamlDoc(file=str(path), data=data)
    if node is not None:
        _walk(node, (), doc)
    return doc
