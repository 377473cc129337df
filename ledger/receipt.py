"""A payment receipt as untrusted input: parsed and range-checked before anything is hashed.

A receipt comes from anywhere — a citizen's e-mail, a web form, the chatbot, the event log — so
:func:`parse_receipt` treats it as hostile: every field must have the right type and fit its
on-chain type (``uint256`` or ``bytes32``), hex must be hex of the right length, the proof
must be a list of at most :data:`MAX_PROOF` hashes. Anything else is a :class:`BadReceipt`
whose message names the field and the value (shortened), which
:meth:`ledger.ledger.Ledger.verify_receipt` turns into a not-ok verdict instead of a traceback.

The shape (what :meth:`ledger.ledger.Ledger.receipt` returns)::

    {"payment": {"id", "ref", "payer_hash", "tax_type", "amount_bani", "paid_at"},
     "batch_id", "index", "leaf", "proof", "root", "chain_id", "contract", "tx_hash", "block"}
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: the longest proof the Treasury contract accepts (2**40 payments in a batch)
MAX_PROOF = 40
UINT256_MAX = 2**256 - 1
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
TAX_TYPES = ("building", "land", "vehicle", "fee", "fine", "permit_fee")


class BadReceipt(ValueError):
    """A receipt field is missing, of the wrong type, or out of range (the message says which)."""


@dataclass(frozen=True)
class Receipt:
    """A receipt's fields, parsed: integers as ``int``, hashes as 32 ``bytes``."""

    batch_id: int
    index: int
    ref: bytes
    payer_hash: bytes
    tax_type: str
    amount_bani: int
    paid_at: int
    leaf: bytes
    proof: list[bytes]
    root: bytes
    chain_id: int
    contract: str
    tx_hash: bytes | None
    block: int | None


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _uint(name: str, value, low: int = 0, high: int = UINT256_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadReceipt(f"{name}: {_show(value)} is not a whole number")
    if not low <= value <= high:
        raise BadReceipt(f"{name}: {_show(value)} is out of range ({low}..{'2**256-1' if high == UINT256_MAX else high})")
    return value


def _hash(name: str, value) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise BadReceipt(f"{name}: {_show(value)} is not a 32-byte hash (0x and 64 hex digits)")
    return bytes.fromhex(value[2:])


def _field(obj: dict, name: str, where: str = ""):
    if name not in obj:
        raise BadReceipt(f"{where}{name}: missing")
    return obj[name]


def parse_receipt(receipt) -> Receipt:
    """Parse and check a receipt (see the module docstring); raises :class:`BadReceipt`."""
    if not isinstance(receipt, dict):
        raise BadReceipt(f"receipt: {_show(receipt)} is not an object")
    p = _field(receipt, "payment")
    if not isinstance(p, dict):
        raise BadReceipt(f"payment: {_show(p)} is not an object")
    tax_type = _field(p, "tax_type", "payment.")
    if tax_type not in TAX_TYPES:
        raise BadReceipt(f"payment.tax_type: {_show(tax_type)} is not one of {TAX_TYPES}")
    proof = _field(receipt, "proof")
    if not isinstance(proof, list) or len(proof) > MAX_PROOF:
        raise BadReceipt(f"proof: {_show(proof)} is not a list of at most {MAX_PROOF} hashes")
    contract = _field(receipt, "contract")
    if not isinstance(contract, str) or not _ADDRESS.fullmatch(contract):
        raise BadReceipt(f"contract: {_show(contract)} is not an address (0x and 40 hex digits)")
    tx = receipt.get("tx_hash")
    block = receipt.get("block")
    return Receipt(
        batch_id=_uint("batch_id", _field(receipt, "batch_id")),
        index=_uint("index", _field(receipt, "index")),
        ref=_hash("payment.ref", _field(p, "ref", "payment.")),
        payer_hash=_hash("payment.payer_hash", _field(p, "payer_hash", "payment.")),
        tax_type=tax_type,
        amount_bani=_uint("payment.amount_bani", _field(p, "amount_bani", "payment."), low=1),
        paid_at=_uint("payment.paid_at", _field(p, "paid_at", "payment.")),
        leaf=_hash("leaf", _field(receipt, "leaf")),
        proof=[_hash(f"proof[{i}]", x) for i, x in enumerate(proof)],
        root=_hash("root", _field(receipt, "root")),
        chain_id=_uint("chain_id", _field(receipt, "chain_id"), low=1),
        contract=contract,
        tx_hash=None if tx is None else _hash("tx_hash", tx),
        block=None if block is None else _uint("block", block, high=2**63 - 1),
    )
