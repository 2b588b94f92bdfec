"""Pure proof-obligation logic: data in, verdicts out. No HTTP, no database."""
