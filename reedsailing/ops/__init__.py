"""Operations: the protected Prometheus `/metrics`, `doctor` (checks every outside
connection of a deployment) and `openapi` (exports the API document).
See docs/operations.md."""
