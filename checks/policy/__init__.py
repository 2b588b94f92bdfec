"""The per-repository policy (.github/maestro.yml): model, parsing with line numbers, overrides."""
