"""Organisations: applications, managers, followers, feedback."""
