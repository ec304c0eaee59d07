raise SystemExit("dapt_worker: not written yet")
