"""Merkle trees of payments, as the Treasury contract verifies them.

A leaf is ``keccak256(abi.encode(batch_id, index, ref, payer_hash, tax_type, amount_bani,
paid_at))`` (:func:`leaf`); an inner node is ``keccak256(left ‖ right)``, positional (the proof
carries no flags: the leaf's index says left or right at each level); a level with an odd number
of nodes pairs its last node with itself. The same rule runs in ``Treasury.verify`` on chain
and in :func:`verify` here.
"""
from __future__ import annotations

from eth_abi import encode
from eth_hash.auto import keccak


def leaf(batch_id: int, index: int, ref: bytes, payer_hash: bytes, tax_type: bytes, amount_bani: int,
         paid_at: int) -> bytes:
    """The leaf of one payment (all fields fixed-width, so no two payments share an encoding)."""
    return keccak(encode(["uint256", "uint256", "bytes32", "bytes32", "bytes32", "uint256", "uint256"],
                         [batch_id, index, ref, payer_hash, tax_type, amount_bani, paid_at]))


def tree(leaves: list[bytes]) -> list[list[bytes]]:
    """All levels, leaves first, root last."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        cur = levels[-1]
        if len(cur) % 2:
            cur = cur + [cur[-1]]
        levels.append([keccak(cur[i] + cur[i + 1]) for i in range(0, len(cur), 2)])
    return levels


def root(levels: list[list[bytes]]) -> bytes:
    return levels[-1][0]


def proof(levels: list[list[bytes]], index: int) -> list[bytes]:
    """The siblings from the leaf at ``index`` up to the root."""
    out = []
    i = index
    for level in levels[:-1]:
        sib = i ^ 1
        out.append(level[sib] if sib < len(level) else level[i])
        i //= 2
    return out


def verify(leaf_hash: bytes, proof_: list[bytes], index: int, root_: bytes) -> bool:
    node, i = leaf_hash, index
    for sib in proof_:
        node = keccak(node + sib) if i % 2 == 0 else keccak(sib + node)
        i //= 2
    return node == root_
