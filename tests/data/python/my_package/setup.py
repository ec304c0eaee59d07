from setuptools import setup

setup(
    name='my_package',
    version='0.0.1',
    install_requires=[
        'requests',
    ],
    entry_points = {
        'flowdapt.plugins': [
            'my_package = my_package'
        ]
    }
)
