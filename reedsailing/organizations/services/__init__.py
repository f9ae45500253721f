"""The rules of organizations (docs/api.md §8-§9): `organizations` (the organizations
and their ownership), `applications` (asking for one, deciding) and `members`
(managers, follows, the caller's relation)."""
