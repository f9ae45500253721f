"""Super admins of the web console: login, creating admins, token checks (docs/api.md §6)."""
