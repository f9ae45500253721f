"""Uploaded images (organisation and activity avatars) and QR codes."""
