"""Socket.IO handlers (docs/realtime.md)."""
