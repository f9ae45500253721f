"""Keywords of an activity, extracted with jieba at write time and stored on the row
(`Activity.keywords`), so recommendations never parse text at request time."""

import logging
from typing import Any

MAX_KEYWORDS = 8
MAX_LENGTH = 500


def extract_keywords(name: str | None, description: str | None = None) -> str:
    """Up to 8 lowercase TF-IDF keywords of `name` + `description`, space-separated."""
    text = f"{name or ''} {description or ''}".strip()
    if not text:
        return ""
    tags = _analyse().extract_tags(text[:5000], topK=MAX_KEYWORDS)
    words = []
    for tag in tags:
        word = tag.strip().lower()
        if word and word not in words and " " not in word:
            words.append(word)
    joined = " ".join(words)
    while len(joined) > MAX_LENGTH and words:
        words.pop()
        joined = " ".join(words)
    return joined


def _analyse() -> Any:
    """jieba.analyse, imported on first use: its dictionaries cost ~150 MB per process,
    which servers that never write an activity should not pay."""
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    return jieba.analyse
