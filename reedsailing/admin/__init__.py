"""Super admins of the web console: login, creating admins, token checks."""
