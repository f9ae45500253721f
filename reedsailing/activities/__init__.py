"""Activities: publishing, reading, joining, comments, calendar, recommendations."""
