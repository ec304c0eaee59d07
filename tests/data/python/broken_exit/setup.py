from setuptools import setup

setup(name="broken_exit", version="0.1", packages=["broken_exit"],
      entry_points={"flowdapt.plugins": ["broken_exit = broken_exit"]})
