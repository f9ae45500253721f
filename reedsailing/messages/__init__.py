"""Notices: stored first, pushed second (docs/realtime.md)."""
