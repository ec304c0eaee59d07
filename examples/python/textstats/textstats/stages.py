"""The stages of textstats.

Plain functions, called as Flowdapt calls them: a root stage gets the
run's input as named arguments, a dependent stage the results of its
dependencies as positional arguments (in ``depends_on`` order), a
parameterized stage one item of its first argument per call.  Type hints
are the types ``dapt targets`` shows; docstrings the docs.  Everything
returned here is JSON, so C stages can take it.
"""

import collections
import logging
import re
from typing import Optional

import dapt

log = logging.getLogger(__name__)

_WORD = re.compile(r"[A-Za-z0-9']+")


def tokenize(text: str = "", stopwords: Optional[list[str]] = None) -> list[str]:
    """Split a text into lower-case words.

    Punctuation is dropped.  Stop words are left out: those given, else
    the run config's ``stopwords`` (a ``kind: config`` of the workspace).

    Args:
        text: The text (usually the run input's ``text``).
        stopwords: Words to leave out.

    Returns:
        The words, in order.
    """
    if stopwords is None:
        stopwords = dapt.get_run_context().config.get("stopwords", [])
    skip = {w.lower() for w in stopwords}
    words = [w.lower() for w in _WORD.findall(text)]
    kept = [w for w in words if w not in skip]
    log.info("%d words, %d left after %d stop words", len(words), len(kept), len(skip))
    return kept


def word_length(word: str) -> int:
    """The number of letters of one word.

    Args:
        word: The word.
    """
    log.debug("word %r", word)
    return len(word)


def report(words: list[str], sum_of_squares: int = 0, top: int = 3) -> dict:
    """Summarize the words: how many, how many distinct, the most frequent.

    Args:
        words: The words, as ``tokenize`` returns them.
        sum_of_squares: The sum of the squared word lengths (computed by a
            C stage in ``workflows/mixed.yaml``).
        top: How many of the most frequent words to list (the run
            config's ``top`` wins).

    Returns:
        ``{"words", "distinct", "longest", "top", "sum_of_squares"}``;
        ``top`` holds ``[word, count]`` pairs, most frequent first (ties
        alphabetical).
    """
    top = int(dapt.get_run_context().config.get("top", top))
    counts = collections.Counter(words)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    longest = max(words, key=len, default="")
    print(f"{len(words)} words, {len(counts)} distinct; the longest: {longest!r}")
    if not words:
        log.warning("the text had no words (give one with --input text=...)")
    return {
        "words": len(words),
        "distinct": len(counts),
        "longest": longest,
        "top": [[w, n] for w, n in ranked],
        "sum_of_squares": sum_of_squares,
    }
