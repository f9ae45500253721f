"""Organizations (组织): applications to create one, the organizations themselves and
their ownership, managers, followers and the caller's relation (docs/api.md §8-§9)."""
