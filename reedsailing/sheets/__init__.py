"""Sign-up sheets: an activity's participants, waiting list, join requests and
attendance as .xlsx or .csv for its organizers (docs/api.md §21)."""
