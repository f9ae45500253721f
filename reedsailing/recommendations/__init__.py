"""Recommendations for the home page: activities and organizations ranked for the
caller (docs/api.md §15)."""
