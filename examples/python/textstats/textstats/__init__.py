"""textstats: word statistics of a text (the example workspace's Python plugin).

Its targets are the functions of :mod:`textstats.stages`:
``textstats.stages.tokenize``, ``textstats.stages.word_length`` and
``textstats.stages.report``.
"""

__version__ = "0.1.0"
