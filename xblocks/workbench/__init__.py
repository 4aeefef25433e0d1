"""Our development runtime: xblock-sdk's workbench with the settings and hooks we need.

Only used by `make run`, the tests and the benchmarks; never installed into the LMS.
"""
