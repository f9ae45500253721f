"""The scheduler process: the job loop (`loop`) and its jobs (`jobs`)."""
