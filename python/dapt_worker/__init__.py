"""dapt_worker: the Python worker of dapt (see __main__)."""
