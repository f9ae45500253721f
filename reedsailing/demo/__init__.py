"""`python manage.py demo-data` (cli.py): a reproducible demo campus (campus.py) of a given
size (sizes.py), its notices (notices.py) and its words (words.py); docs/operations.md."""
