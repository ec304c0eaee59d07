from setuptools import setup

setup(name="broken_segv", version="0.1", packages=["broken_segv"],
      entry_points={"flowdapt.plugins": ["broken_segv = broken_segv"]})
