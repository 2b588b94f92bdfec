"""The rule language for invariants and CEP guards: syntax, parser, functions, evaluation."""
