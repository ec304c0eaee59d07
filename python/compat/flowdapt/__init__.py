"""Flowdapt's import paths, served by dapt (its compatibility package).

This package is placed AFTER site-packages on sys.path, so an installed
Flowdapt wins.  It covers what plugins import: the run context, the object
store, artifacts, logging, errors, import_from_string and the testing API
(execute_workflow, LocalExecutor); the rest of Flowdapt (its server, REST
API, Ray and Dask executors, cluster memory as a module) is not here.
"""

__version__ = "0.1.52+dapt"
__dapt_compat__ = True
