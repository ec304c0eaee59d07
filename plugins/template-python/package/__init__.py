"""The dapt plugin @NAME@.

Its targets are the public functions of this package and its modules:
``@NAME@.stages.split_words``, ``@NAME@.stages.word_length`` and
``@NAME@.stages.summarize``.  ``dapt targets @NAME@`` lists them with
their parameters, read from the type hints and docstrings.
"""

__version__ = "0.1.0"
