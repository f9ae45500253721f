"""Calendar feeds: a student's private iCal feed of the activities they joined and an
organization's public one (docs/api.md §22)."""
