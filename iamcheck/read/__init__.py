"""Everything iamcheck reads, from IBM Cloud or from a snapshot, as model values (never SDK
types or dicts).

lookup finds what the user named (one rule for case and ambiguity, online or offline); access
reads the access of one subject; account reads a whole account; rights reads iamcheck's own
read rights once per session; gaps records what a refused read leaves unknown; snapshot saves
and loads an account.

A new kind of subject is a new `Holder` kind in access (and a lookup in lookup); a new kind of
read is a new module here, recording refusals through gaps.
"""
