"""Proof obligations: the catalog, the JSON Schema (schema.json), the verifier gate and waivers."""
