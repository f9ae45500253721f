"""Feedback (用户反馈): students send it, admins read, search and delete it
(docs/api.md §10)."""
