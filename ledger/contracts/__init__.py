"""The Vyper sources of the ledger contracts (compiled by :mod:`ledger.compiler`)."""
