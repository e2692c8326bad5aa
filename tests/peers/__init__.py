"""Differential tests against other libraries' schedules (the peers): each is skipped if absent."""
