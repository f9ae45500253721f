"""Small app-wide routes: the review flag and the health check."""
