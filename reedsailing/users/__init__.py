"""Students: WeChat login, mail verification, profiles and the admin user lists
(docs/api.md §5)."""
