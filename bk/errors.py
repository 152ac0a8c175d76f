"""The error family of the business kernel; pages catch ``BkError`` and show it with ``st.error``.

    BkError                       anything the kernel refuses, with a message meant for a planner
    ├── InvalidExportError        an uploaded file cannot be read as any known export
    ├── MissingDataError          an operation needs an export the snapshot does not have
    ├── SnapshotError             the snapshot store cannot save or load a snapshot
    ├── ServiceUnavailableError   an operation is short-circuited after repeated failures
    └── ParseCancelledError       reading an upload was stopped because its viewer left

Every message names the file (and row/column where there is one), what was found and what to do.
"""

from __future__ import annotations


class BkError(Exception):
    """Base class of every error the kernel raises on purpose."""


class InvalidExportError(BkError):
    """A file is not a readable ERP export (empty, binary, unknown header, too large, ...)."""

    def __init__(self, file: str, message: str, *, row: int | None = None, column: str | None = None):
        self.file = file
        self.row = row
        self.column = column
        self.detail = message  # what was found and what to do, without the place
        where = file
        if row is not None:
            where += f" row {row}"
        if column is not None:
            where += f" column '{column}'"
        super().__init__(f"{where}: {message}")


class MissingDataError(BkError):
    """An operation needs an export kind that the active snapshot lacks."""


class SnapshotError(BkError):
    """The snapshot store could not save or read a snapshot; nothing was changed."""


class ServiceUnavailableError(BkError):
    """An operation failed repeatedly and is short-circuited for a while."""


class ParseCancelledError(BkError):
    """Reading an untrusted file was stopped (its worker killed) because nobody waits for the answer any more."""
