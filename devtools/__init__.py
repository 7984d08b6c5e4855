"""Tooling shared by the tests and the benchmark; nothing here is imported by the product."""
