"""The stages of @NAME@: count the words of a text and how long they are.

A stage is a plain function.  dapt (like Flowdapt) calls it with
Flowdapt's rules: a root stage gets the run's input as named arguments,
a stage with ``depends_on`` gets its dependencies' results as positional
arguments, in order, and a parameterized stage is called once per item
of its first argument.  The type hints become the parameter types that
``dapt targets`` shows and ``dapt validate`` checks; the docstring's
first line is the summary and its ``Args:`` section documents each
parameter.

What a stage returns should be JSON (numbers, strings, lists, dicts,
None) when a C stage or the run's result takes it; other values pass
from one Python stage to the next as pickles.
"""

import logging

import dapt

log = logging.getLogger(__name__)


def split_words(text: str, min_length: int = 1) -> list[str]:
    """Split a text into lower-case words.

    Punctuation around a word is dropped.

    Args:
        text: The text to split.
        min_length: Leave out words shorter than this.

    Returns:
        The words, in order.
    """
    words = [w.strip(".,;:!?\"'()[]").lower() for w in text.split()]
    words = [w for w in words if len(w) >= min_length]
    log.info("%d words", len(words))
    return words


def word_length(word: str) -> int:
    """The length of one word (a parameterized stage maps it over a list).

    Args:
        word: The word.
    """
    return len(word)


def summarize(lengths: list[int], top: int = 3) -> dict:
    """Summarize word lengths: how many, the longest, the mean.

    The run context (``dapt.get_run_context()``) gives the run's input,
    its config (the ``data`` of the workspace's matching ``kind: config``
    files) and its name; here the config may set ``top``.

    Args:
        lengths: The length of each word.
        top: How many of the largest lengths to keep.

    Returns:
        ``{"words": N, "longest": N, "mean": X, "top": [N, ...]}``.
    """
    context = dapt.get_run_context()
    top = int(context.config.get("top", top))
    count = len(lengths)
    summary = {
        "words": count,
        "longest": max(lengths, default=0),
        "mean": round(sum(lengths) / count, 2) if count else 0.0,
        "top": sorted(lengths, reverse=True)[:top],
    }
    print(f"{count} words, the longest {summary['longest']} letters")
    return summary
