"""my_package: the example plugin of Flowdapt's plugin guide."""
