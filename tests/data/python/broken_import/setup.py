from setuptools import setup

setup(name="broken_import", version="0.1", packages=["broken_import"],
      entry_points={"flowdapt.plugins": ["broken_import = broken_import"]})
