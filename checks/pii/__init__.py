"""PII and secret detection: regex candidates + validators, an ML filter, masking, redactions.

Pure: plain text in, pydantic models out. See docs/pii.md.
"""
