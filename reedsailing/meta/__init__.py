"""Small app-wide answers: the review flag and the health check (docs/api.md §4)."""
