"""Orchestration of one GitHub event family per module: gather, analyse, publish, record."""
