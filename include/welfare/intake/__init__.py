"""Intake: reading submitted workbooks and CSV files into typed values with cell references."""
