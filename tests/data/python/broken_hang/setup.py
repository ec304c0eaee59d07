from setuptools import setup

setup(name="broken_hang", version="0.1", packages=["broken_hang"],
      entry_points={"flowdapt.plugins": ["broken_hang = broken_hang"]})
