"""Students: WeChat login, mail verification and profiles."""
