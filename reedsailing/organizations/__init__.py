"""Organizations: applications, managers, followers, feedback."""
