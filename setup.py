"""Build of the optional C accelerator `ledger._hashbatch` (everything else is in pyproject.toml).

`optional=True`: without a C compiler or OpenSSL's headers the build goes on without it, and
`ledger.hashbatch` falls back to its Python versions (same results, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ledger._hashbatch",
            sources=["ledger/_hashbatch.c"],
            libraries=["crypto"],
            optional=True,
        )
    ]
)
