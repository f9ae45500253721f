"""The switch-over from the first version: `python manage.py import-v1` reads its
database (read-only) and writes ours, ids kept, its defects resolved by rule and
counted (docs/switch-over.md)."""
