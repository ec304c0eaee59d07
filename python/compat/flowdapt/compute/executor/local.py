"""flowdapt.compute.executor.local.LocalExecutor, for tests that pass one
to execute_workflow: dapt's engine runs the stages, so it holds only its
settings."""


class LocalExecutor:
    kind = "local"

    def __init__(self, use_processes=False, cpus="auto", **kwargs):
        self.use_processes = use_processes
        self.cpus = cpus
        self.options = kwargs
        self.running = False

    async def start(self):
        self.running = True

    async def close(self):
        self.running = False

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc):
        await self.close()
        return False

    def __enter__(self):
        self.running = True
        return self

    def __exit__(self, *exc):
        self.running = False
        return False

    def environment_info(self):
        return {"executor": "dapt", "use_processes": self.use_processes, "cpus": self.cpus}
