"""Participation: join, leave, removal by a manager, the participant list, joined
numbers and the caller's relation to an activity (docs/api.md §12)."""
