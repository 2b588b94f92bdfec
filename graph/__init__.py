"""CodeGraph-360: pure graph ingest, blast radius and affected build targets."""
