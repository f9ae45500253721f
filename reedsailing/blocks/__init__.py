"""Blocks (版块), activity categories and addresses: the catalog activities and
organizations refer to (docs/api.md §7)."""
