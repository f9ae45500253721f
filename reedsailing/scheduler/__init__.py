"""The scheduler process (docs/operations.md): the job loop (`loop.py`), its jobs
(`jobs.py`) and the `scheduler` command (`cli.py`)."""
