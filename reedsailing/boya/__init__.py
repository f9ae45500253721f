"""The 博雅 import: courses from the course site become activities of block 2.

`services.py` holds the import (used by the CLI and the scheduler alike),
`cli.py` the `crawl-boya` command.
"""
