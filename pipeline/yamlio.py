"""YAML loading that remembers where each value came from, so validation errors can name the line.

The one loader for every YAML file the pipeline reads (taxonomies, source mappings):

    doc = LocatedYaml.load("sources.yaml")
    doc.data                      # plain Python values
    doc.line_of(("sources", 0))   # 1-based line of that entry
    doc.duplicate_keys            # every key given twice in one mapping
    doc.validate(SomeModel)       # pydantic validation; errors name file, line and field
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.errors import InputError

# A path into the document: mapping keys and list indices, as in a pydantic error `loc`.
Loc = tuple[Any, ...]

# Limits that keep a hostile file from hanging a run: a taxonomy is a few levels deep and a few
# thousand values; an alias bomb ("billion laughs") expands to billions, deep nesting overflows the
# recursive composer.
MAX_DEPTH = 64
MAX_VALUES = 1_000_000
MAX_BYTES = 64 * 1024 * 1024

# libyaml's parser when PyYAML was built with it: the same events, nodes and marks, about ten times
# faster than the pure-Python one (a taxonomy took 1.2 s of each run's start-up to load without it).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKey(NamedTuple):
    """A key given a second time in one mapping (PyYAML would keep the last value silently)."""

    loc: Loc
    line: int
    first_line: int


@dataclass
class LocatedYaml:
    """A parsed YAML document plus the line of every mapping key and sequence item.

    Attributes:
        path: the YAML file, for messages.
        data: the document as plain Python values (None for an empty file).
        lines: path into the document -> 1-based line; `()` is the document itself.
        duplicate_keys: every repeated key, in document order; `lines` holds the first occurrence.
    """

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    duplicate_keys: list[DuplicateKey] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> LocatedYaml:
        """Parse one YAML file (UTF-8, with or without BOM) into data plus a line map.

        Raises:
            InputError: the file is missing, unreadable, not UTF-8, or not valid YAML (with the line).
        """
        path = Path(path)
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
        if len(raw) > MAX_BYTES:
            raise InputError(f"YAML file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}", file=path)
        try:
            _check_limits(text, path)
            node, data = _parse(text)
        except RecursionError:
            raise InputError(f"YAML nested too deeply (limit {MAX_DEPTH} levels)", file=path) from None
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or exc
            raise InputError(f"not valid YAML: {problem}", file=path, line=_error_line(exc, text)) from None
        doc = cls(path=path, data=data)
        if node is not None:
            doc.lines[()] = node.start_mark.line + 1
            doc._walk(node, ())
        return doc

    def _walk(self, node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                line = key_node.start_mark.line + 1
                here = (*loc, key)
                if key in seen:
                    self.duplicate_keys.append(DuplicateKey(here, line, seen[key]))
                else:
                    seen[key] = line
                    # The key's own line, not its value's (a nested mapping starts on the next line).
                    self.lines[here] = line
                self._walk(value_node, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[(*loc, i)] = item.start_mark.line + 1
                self._walk(item, (*loc, i))

    def line_of(self, loc: Sequence[Any]) -> int:
        """Line of `loc`, or of its nearest enclosing entry (pydantic error locations may go deeper)."""
        loc = tuple(loc)
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1

    def reject_duplicate_keys(self) -> None:
        """Raise for the first repeated key, if any.

        Raises:
            InputError: naming the key, its line and the line where it was first defined.
        """
        if self.duplicate_keys:
            dup = self.duplicate_keys[0]
            where = ".".join(map(str, dup.loc))
            message = f"duplicate key '{where}' (first defined on line {dup.first_line})"
            raise InputError(message, file=self.path, line=dup.line)

    def validate(self, model: type[BaseModel], data: Any | None = None, base_loc: tuple = ()) -> Any:
        """Validate `data` (default: the whole document) into `model`; errors name file, line and field.

        A document with a repeated key is refused first: its data silently holds only the last value.
        """
        self.reject_duplicate_keys()
        try:
            return model.model_validate(self.data if data is None else data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = base_loc + _data_path(self.data if data is None else data, err["loc"])
            field_name = ".".join(str(p) for p in loc) or "(document)"
            got = err.get("input")
            got_txt = "" if isinstance(got, dict | list) else f"; got {got!r}"
            raise InputError(
                f"field '{field_name}': {err['msg']}{got_txt}", file=self.path, line=self.line_of(loc)
            ) from exc


def _check_limits(text: str, path: Path) -> None:
    """Refuse nesting deeper than MAX_DEPTH and aliases expanding past MAX_VALUES, from the event stream.

    The parser is iterative, so this runs in time linear in the file before anything recursive or
    expanding (composer, constructor, validation) sees it.

    Raises:
        InputError: with the line where the limit was passed.
    """
    try:
        _walk_limits(text, path)
    except yaml.YAMLError as exc:
        if "maximum nesting depth" not in str(exc):
            raise
        # libyaml stops at its own depth limit (1,000) while reading ahead of the events seen here.
        raise InputError(f"YAML nested deeper than {MAX_DEPTH} levels", file=path, line=_error_line(exc, text)) from None


def _walk_limits(text: str, path: Path) -> None:
    sizes: dict[str, int] = {}  # anchor -> number of values it expands to
    stack: list[list[Any]] = [[0, None]]  # per open collection: [values so far, its anchor]
    total = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([0, event.anchor])
            if len(stack) - 1 > MAX_DEPTH:
                raise InputError(f"YAML nested deeper than {MAX_DEPTH} levels", file=path, line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            count, anchor = stack.pop()
            count += 1
            if anchor is not None:
                sizes[anchor] = count
            stack[-1][0] += count
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            stack[-1][0] += 1
            total += 1
        elif isinstance(event, yaml.AliasEvent):
            size = sizes.get(event.anchor, 1)
            stack[-1][0] += size
            total += size
        if total > MAX_VALUES or stack[-1][0] > MAX_VALUES:
            raise InputError(
                f"YAML expands to more than {MAX_VALUES:,} values (aliases '*name' repeating a large anchor?)",
                file=path, line=line)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for lines) and the plain data of one YAML document, in one pass."""
    loader = _Loader(text)  # already checks for unprintable characters
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _error_line(exc: yaml.YAMLError, text: str) -> int | None:
    """1-based line a PyYAML error points at, if it says."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return mark.line + 1
    position = getattr(exc, "position", None)  # ReaderError: a character offset, no mark
    return text[:position].count("\n") + 1 if isinstance(position, int) else None


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
