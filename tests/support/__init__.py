"""Helpers and test data that test modules in more than one folder share (never a test)."""
