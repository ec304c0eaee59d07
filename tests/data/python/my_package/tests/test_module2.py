from my_package.module2 import summarize


def test_summarize():
    assert summarize([1.0, 2.0], scale=2.0) == 6.0
