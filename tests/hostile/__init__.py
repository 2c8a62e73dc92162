"""Hostile seeds: the demo account with attacker-chosen text in every free-text field."""
