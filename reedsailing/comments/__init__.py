"""Comments and scores on activities (docs/api.md §13)."""
