from setuptools import setup

setup(
    name="flowstyle",
    version="1.2.0",
    packages=["flowstyle"],
    package_data={"flowstyle": ["workflows/*.yaml"]},
    entry_points={"flowdapt.plugins": ["flowstyle = flowstyle"]},
)
