"""Keywords of an activity, extracted with jieba at write time and stored on the row
(`Activity.keywords`), so recommendations never parse text at request time."""

import logging
from collections.abc import Iterable
from typing import Any

MAX_KEYWORDS = 8
MAX_LENGTH = 500


def extract_keywords(name: str | None, description: str | None = None) -> str:
    """Up to 8 lowercase TF-IDF keywords of `name` + `description`, space-separated."""
    text = f"{name or ''} {description or ''}".strip()
    if not text:
        return ""
    tags = _analyse().extract_tags(text[:5000], topK=MAX_KEYWORDS)
    return stored_keywords((tag.strip() for tag in tags if " " not in tag.strip()), MAX_LENGTH)


def stored_keywords(words: Iterable[str], limit: int) -> str:
    """Keywords as they are stored: lowercase, each once, single spaces, whole words
    within `limit` characters (new activities and the first version's imported ones)."""
    kept: list[str] = []
    for word in words:
        word = word.lower()
        if word and word not in kept:
            kept.append(word)
    joined = " ".join(kept)
    while len(joined) > limit and kept:
        kept.pop()
        joined = " ".join(kept)
    return joined


def _analyse() -> Any:
    """jieba.analyse, imported on first use: its dictionaries cost ~150 MB per process,
    which servers that never write an activity should not pay."""
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    return jieba.analyse
