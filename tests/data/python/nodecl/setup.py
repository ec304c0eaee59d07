from setuptools import setup

setup(name="cryptolike", version="0.1", packages=["cryptolike"])
