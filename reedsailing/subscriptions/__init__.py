"""WeChat subscribe messages (订阅消息): the allowances students give, the outbox a
notice fills, and the sender the scheduler runs (docs/notices.md, "Outside the app")."""
