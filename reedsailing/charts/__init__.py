"""Charts of the admin console: the JSON series and the /charts/ page (docs/api.md §18)."""
