"""Who is calling and what they may do: tokens and roles (`auth`), the role rules
features share (`permissions`), rate limits (`ratelimit`). README "Security"."""
