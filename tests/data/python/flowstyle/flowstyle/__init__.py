"""A plugin written for Flowdapt, as real ones are: it imports Flowdapt's
modules, reads the run's config, keeps a DataFrame-like value in the object
store between stages, and logs with both loggers."""
