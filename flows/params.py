"""Flow parameters grouped by concern.

Each flow takes one pydantic model; its fields are groups (inputs, window, models, outputs, runtime),
each a small model of its own. The Prefect UI renders every group as a section of the run form, and
each task receives only the group or the fields it uses.

Parameters written before the grouping (`{incremental: true, database: ...}` in deployments, scripts
and CLI code) are still accepted: a flat name is moved into the group that now holds it. Any other
name is refused with an error naming it, instead of being ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.store.urls import no_password_in_url
from pipeline.workspace import fill_paths


class Group(BaseModel):
    """One section of a flow's parameters; a misspelt field is an error, never ignored."""

    model_config = ConfigDict(extra="forbid")


class WorkspaceOutputs(Group):
    """The workspace folder, the database a flow writes (a DuckDB file or a PostgreSQL URL) and the folders a
    subclass adds; every empty path is filled in inside the workspace (`path_fields`)."""

    path_fields: ClassVar[tuple[str, ...]] = ("database",)

    workspace: Path | None = Field(
        None, description="folder for every output of this data set (database, Parquet, reports, topic models, "
                          "caches, stage results); empty: $VOC_WORKSPACE, voc.yaml's `workspace`, or ./data")
    database: Path | None = Field(None, description="DuckDB output file; empty: `<workspace>/voc.duckdb`")
    database_url: str | None = Field(None, description="PostgreSQL SQLAlchemy URL (no password: set "
                                                       "VOC_DATABASE_PASSWORD): outputs go there, not to `database`")

    @field_validator("database_url")
    @classmethod
    def _no_password(cls, url: str | None) -> str | None:
        return no_password_in_url(url)

    @property
    def target(self) -> str | Path:
        """Where the tables are: the PostgreSQL URL when given, else the DuckDB file."""
        return self.database_url or self.database

    def in_workspace(self):
        """A copy with every empty path of `path_fields` set inside the workspace folder."""
        return type(self).model_validate(fill_paths(self.model_dump(), list(self.path_fields), self.workspace))


def _known_names(schema: dict, cls: type[GroupedParams]) -> None:
    # The Prefect server checks run parameters against this schema before a run is created: naming the
    # accepted keys there refuses a misspelt one at once, with the flat names still allowed.
    schema["propertyNames"] = {"enum": [*cls.model_fields, *sorted(cls.flat_names())]}


class GroupedParams(BaseModel):
    """A flow's parameters: every field is a Group; flat names of the fields inside are accepted too.

    Subclasses list renamed flat names in `renamed` (old flat name -> (group, field)).
    """

    model_config = ConfigDict(json_schema_extra=_known_names)

    renamed: ClassVar[dict[str, tuple[str, str]]] = {}
    flow_name: ClassVar[str] = "flow"

    @classmethod
    def flat_names(cls) -> dict[str, tuple[str, str]]:
        """Every flat name accepted, with the (group, field) it sets."""
        out = {}
        for group, info in cls.model_fields.items():
            if isinstance(info.annotation, type) and issubclass(info.annotation, Group):
                out.update({name: (group, name) for name in info.annotation.model_fields})
        for old, (group, name) in cls.renamed.items():
            out.pop(name, None)  # the new name inside a group is not a flat name
            out[old] = (group, name)
        return out

    @classmethod
    def flat_key(cls, loc: tuple) -> str:
        """The flat name of a validation error's location (`("window", "start")` -> `window_start`), as the
        command line and older parameter files spell it."""
        names = {v: k for k, v in cls.flat_names().items()}
        return names.get(tuple(loc[:2]), "_".join(str(x) for x in loc))

    @model_validator(mode="before")
    @classmethod
    def _regroup(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        flat = cls.flat_names()
        out = {k: v for k, v in data.items() if k in cls.model_fields}
        for key, value in data.items():
            if key in cls.model_fields:
                continue
            if key not in flat:
                raise ValueError(f"unknown parameter '{key}' of the {cls.flow_name} flow; its groups are "
                                 f"{', '.join(cls.model_fields)}")
            group, name = flat[key]
            current = out.get(group) or {}
            current = current.model_dump() if isinstance(current, BaseModel) else dict(current)
            out[group] = {**current, name: value}  # a flat name overrides the same field given in its group
        return out

    def replace(self, **changes) -> GroupedParams:
        """A validated copy with some values changed; flat names (`window_end=...`) or whole groups."""
        return type(self).model_validate({**self.model_dump(), **changes})

    def model_copy(self, *, update: dict | None = None, deep: bool = False):
        # pydantic's model_copy does not validate: a flat name would silently become a stray attribute.
        stray = sorted(set(update or ()) - set(type(self).model_fields))
        if stray:
            raise TypeError(f"model_copy cannot set {stray}: they are fields inside a group; use .replace()")
        return super().model_copy(update=update, deep=deep)
