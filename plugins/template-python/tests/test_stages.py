"""Tests of @NAME@'s stages: the functions alone, then the workflow run by
dapt's engine (``dapt.testing.execute_workflow``), as ``dapt run`` would.

    python3 -m unittest        (or: python3 -m pytest)
"""

import importlib.resources
import unittest

from dapt.testing import execute_workflow

from @NAME@ import stages


class TestFunctions(unittest.TestCase):
    """The stages are plain functions: call them."""

    def test_split_words(self):
        self.assertEqual(stages.split_words("The cat, the hat!"), ["the", "cat", "the", "hat"])

    def test_split_words_min_length(self):
        self.assertEqual(stages.split_words("a bb ccc", min_length=2), ["bb", "ccc"])

    def test_word_length(self):
        self.assertEqual(stages.word_length("plugin"), 6)

    def test_bundled_workflow_ships(self):
        workflow = importlib.resources.files("@NAME@") / "workflows" / "words.yaml"
        self.assertIn("@NAME@.stages.word_length", workflow.read_text())


# The bundled workflow, as a definition: targets may be import paths (as
# in the YAML) or the functions themselves.
WORDS = {
    "name": "@NAME@_words",
    "stages": [
        {"name": "split", "target": stages.split_words},
        {"name": "lengths", "target": stages.word_length,
         "type": "parameterized", "depends_on": ["split"]},
        {"name": "summary", "target": "@NAME@.stages.summarize", "depends_on": ["lengths"]},
    ],
}


class TestWorkflow(unittest.TestCase):
    """The stages together, run by dapt's engine."""

    def test_words(self):
        result = execute_workflow(WORDS, input={"text": "the cat and the hat"},
                                  return_result=True)
        self.assertEqual(result["words"], 5)
        self.assertEqual(result["longest"], 3)
        self.assertEqual(result["top"], [3, 3, 3])

    def test_config_sets_top(self):
        result = execute_workflow(WORDS, input={"text": "a bb ccc dddd"},
                                  config={"top": 1}, return_result=True)
        self.assertEqual(result["top"], [4])


if __name__ == "__main__":
    unittest.main()
