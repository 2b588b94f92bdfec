"""The tamper-evident ledger: hash chain, RFC 6962 Merkle maths, checkpoints and verification."""
