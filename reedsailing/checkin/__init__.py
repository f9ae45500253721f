"""Check-in and attendance: the organizer's short-lived code and its QR code, students
checking in, attendance marked by hand, the attendance figures (docs/api.md §21)."""
