"""Uploaded images (organization and activity avatars) and QR codes."""
