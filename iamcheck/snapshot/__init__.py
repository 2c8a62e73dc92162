"""`snapshot`: read the whole account once and save it (never a secret) for --from-snapshot.

run reads and saves (the file format is iamcheck.read.snapshot's); document summarises it.
"""
