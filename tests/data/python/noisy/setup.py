from setuptools import setup

setup(name="noisy", version="0.1", packages=["noisy"],
      entry_points={"flowdapt.plugins": ["noisy = noisy", "cities = noisy"]})
