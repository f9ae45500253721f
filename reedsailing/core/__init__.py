"""What every feature shares: HTTP plumbing, errors, auth and role rules, fields and
shared answer shapes, the key-value store, rate limits and the API document."""
