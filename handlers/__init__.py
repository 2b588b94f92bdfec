"""Orchestration of one GitHub event family per module: gather evidence, analyse, publish, record."""
