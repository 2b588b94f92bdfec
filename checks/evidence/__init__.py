"""Evidence parsers: coverage (Cobertura, LCOV), diffs, patch coverage, mutation, benchmarks."""
