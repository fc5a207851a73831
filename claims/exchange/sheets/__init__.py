"""Spreadsheets in: any CSV or XLSX file of claims and rebuttals, read row by
row (`reading`), mapped column by column (`claims.mapping`), matched to
what is kept (`matching`), turned into fixture objects (`rows`), and
previewed or written by the fixture importer's checker and writer (`run`):
one more reader in front of the same checks, never a second set of rules."""

from .reading import SheetError, open_sheet
from .run import SheetFailed, SheetImport, SheetReport

__all__ = ["SheetError", "SheetFailed", "SheetImport", "SheetReport", "open_sheet"]
