"""Spreadsheets in: any CSV or XLSX file of claims and rebuttals, read row by
row (`reading`), mapped column by column, previewed, then written through
the fixture importer's checker and writer."""
