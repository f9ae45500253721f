"""Images: avatars of organizations and activities, QR codes of mini-program pages,
and serving the uploaded files (docs/api.md §16)."""
