"""Activities: publishing, reading one, the lists (by block, organization, owner,
followed organizations, joined), status partitions, searches, the month calendar,
keywords, and the one producer of the activity answer (docs/api.md §2, §11, §14)."""
