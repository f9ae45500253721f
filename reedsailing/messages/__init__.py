"""Notices: how the system tells users something, stored, pushed over Socket.IO and
the legacy WebSocket, read over REST (docs/notices.md, docs/realtime.md, docs/api.md §17)."""
