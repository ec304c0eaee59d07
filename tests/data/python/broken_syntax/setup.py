from setuptools import setup

setup(name="broken_syntax", version="0.1", packages=["broken_syntax"],
      entry_points={"flowdapt.plugins": ["broken_syntax = broken_syntax"]})
