"""The ledger: local taxes, fees and permits on an EVM chain, with verifiable receipts.

This package owns the Vyper contracts (``ledger/contracts``: ``Treasury.vy`` for payments and
their Merkle anchors, ``Permits.vy`` for the permit registry), their compilation
(:mod:`ledger.compiler`), the chain connection (:mod:`ledger.chain`: the embedded py-evm chain
or any JSON-RPC node), the off-chain store (:mod:`ledger.store`), the ledger itself
(:mod:`ledger.ledger`: payments, batches, receipts, verification, permits, erasure) and its
component in a run (:mod:`ledger.component`).

It may import :mod:`twin` (errors, the engine's bus at run time). It never imports
``services``, ``sensors`` or ``dash_app``; the city hall and the chatbot use it through
:class:`ledger.ledger.Ledger`, and it reacts to their events (``tax_payment``,
``permit_decided``). No personal data goes on chain: only salted hashes of pseudonyms.
"""
