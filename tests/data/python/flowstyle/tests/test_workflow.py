"""The plugin's tests as Flowdapt's template writes them: a workflow given as
a dict whose targets are callables, some of them defined here, run by
execute_workflow (dapt's engine behind Flowdapt's import path)."""
import unittest

from flowdapt.compute.executor.local import LocalExecutor
from flowdapt.compute.workflow.execute import execute_workflow

from flowstyle import stages


def double_all(rows: dict) -> list:
    """A stage defined in the test file itself."""
    return [2 * i for i in range(rows["rows"])]


WORKFLOW = {
    "metadata": {"name": "callables"},
    "spec": {
        "stages": [
            {"name": "create", "target": stages.create_frame},
            {"name": "double", "target": double_all, "depends_on": ["create"]},
        ]
    },
}


class TestWorkflow(unittest.TestCase):
    def test_callables_run(self):
        result = execute_workflow(
            workflow=WORKFLOW,
            input={"n": 4},
            namespace="testing",
            return_result=True,
            executor=LocalExecutor(use_processes=True),
            config={"study_identifier": "t1", "scale": 1},
        )
        self.assertEqual(result, [0, 2, 4, 6])


if __name__ == "__main__":
    unittest.main()
