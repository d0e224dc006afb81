"""One catalogue of the errors the pipeline raises for bad input or configuration.

Every message names where the problem is (file, line, column or field), what was expected and
what was found, so an analyst can fix the input without reading code.
"""

from __future__ import annotations

from pathlib import Path


class VocError(Exception):
    """Base class for every error the pipeline raises on purpose."""


class InputError(VocError):
    """Bad input data or configuration, located as precisely as we can.

    Args:
        message: what is wrong and what was expected.
        file: the file the problem is in.
        line: 1-based line number in that file (header = line 1 for CSV).
        column: the column or field name.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        col = f"column '{self.column}': " if self.column else ""
        return f"{where}{col}{self.message}"


class MissingColumnsError(VocError):
    """A stage received a table without the columns it needs."""

    def __init__(self, stage: str, missing: list[str], present: list[str]) -> None:
        self.stage = stage
        self.missing = missing
        super().__init__(
            f"{stage}: input table lacks column(s) {missing}; it has {sorted(present)}"
        )


class ModelNotAvailableError(VocError):
    """A model (embedder weights, fitted topic model) cannot be found locally."""


class RowCountMismatchError(VocError):
    """Accepted plus quarantined rows do not add up to the input rows: a bug, never expected."""

    def __init__(self, source: str, input_rows: int, accepted: int, quarantined: int) -> None:
        super().__init__(
            f"source '{source}': {input_rows} input rows but {accepted} accepted + "
            f"{quarantined} quarantined = {accepted + quarantined}; no row may be lost or doubled"
        )


class DuplicateFeedbackIdError(VocError):
    """Two accepted rows share a feedback_id: a bug, never expected (ids are "<source>:<id>")."""


class NotEnoughDataError(VocError):
    """Too little data for a statistical step (e.g. a topic-model fit); the caller may skip that step."""
