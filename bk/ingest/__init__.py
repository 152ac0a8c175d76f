"""Reading the mill's ERP exports: recognise, clean, check, and keep them as snapshots."""

from bk.ingest.reader import Export, Finding, read_export

__all__ = ["Export", "Finding", "read_export"]
