import os
import missing_dependency_xyz


def run():
    return 1
