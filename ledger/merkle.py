"""Merkle trees of payments in OpenZeppelin's *standard* format, as the Treasury verifies them.

The receipts follow the ecosystem's standard rather than a format of our own, so that anyone
can check one with OpenZeppelin's JavaScript library ``@openzeppelin/merkle-tree``
(``StandardMerkleTree.verify(root, LEAF_ENCODING, values, proof)``) or with Solidity's
``MerkleProof.verify(proof, root, leaf)`` — no code of ours needed:

* **Leaf** — ``keccak256(keccak256(abi.encode(values)))`` with the types of
  :data:`LEAF_ENCODING`: ``(batch_id, index, ref, payer_hash, tax_type, amount_bani,
  paid_at)``. The *double* hash is the domain separation between leaves and inner nodes: an
  inner node is the hash of 64 bytes, a leaf the hash of a 32-byte hash, so an inner node can
  never be passed off as a leaf (the second-preimage attack on Merkle trees), and a leaf is
  always computed from the payment's fields, never accepted as given.
* **Inner node** — ``keccak256(min(a, b) ‖ max(a, b))``: the pair is *sorted* (commutative
  hashing), so a proof is just the list of siblings, with no left/right flags.
* **Shape** — a complete binary tree stored as an array (``tree[0]`` is the root, the
  children of ``i`` are ``2i+1`` and ``2i+2``), the leaves sorted by hash and placed from the
  end of the array: exactly ``StandardMerkleTree.of(values, LEAF_ENCODING)``, so our root for
  a batch *equals* the root that library computes for the same payments.

:func:`verify` is ``MerkleProof.verify``; ``Treasury.verify`` runs the same rule on chain
(after recomputing the leaf from the fields and checking ``index < count``).
"""
from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
from eth_hash.auto import keccak

#: the ABI types of a payment leaf, in order (``leafEncoding`` of ``StandardMerkleTree``)
LEAF_ENCODING = ("uint256", "uint256", "bytes32", "bytes32", "bytes32", "uint256", "uint256")
#: field names matching :data:`LEAF_ENCODING`
LEAF_FIELDS = ("batch_id", "index", "ref", "payer_hash", "tax_type", "amount_bani", "paid_at")


def leaf(batch_id: int, index: int, ref: bytes, payer_hash: bytes, tax_type: bytes, amount_bani: int,
         paid_at: int) -> bytes:
    """The leaf of one payment: ``keccak256(keccak256(abi.encode(...)))``.

    Every field is fixed-width (``uint256`` or ``bytes32``), so no two payments share an
    encoding. Raises ``eth_abi``'s encoding errors (``ValueError`` subclasses) for a value
    that does not fit its type, e.g. a negative amount.
    """
    return keccak(keccak(encode(list(LEAF_ENCODING),
                                [batch_id, index, ref, payer_hash, tax_type, amount_bani, paid_at])))


def node(a: bytes, b: bytes) -> bytes:
    """An inner node: the hash of the sorted pair (``Hashes.commutativeKeccak256``)."""
    return keccak(a + b) if a < b else keccak(b + a)


@dataclass(frozen=True)
class Tree:
    """A standard Merkle tree over ``leaves`` (given in payment order).

    Attributes
    ----------
    nodes
        The whole tree as an array, root first (``2n - 1`` hashes).
    position
        For each leaf, in the order given, where it sits in ``nodes``.
    """

    nodes: list[bytes]
    position: list[int]

    @property
    def root(self) -> bytes:
        return self.nodes[0]


def tree(leaves: list[bytes]) -> Tree:
    """Build the standard tree (leaves sorted by hash, as ``StandardMerkleTree.of`` does)."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    n = len(leaves)
    size = 2 * n - 1
    nodes: list[bytes] = [b""] * size
    order = sorted(range(n), key=lambda i: leaves[i])
    position = [0] * n
    for k, i in enumerate(order):                 # k-th smallest leaf at the end, going left
        position[i] = size - 1 - k
        nodes[size - 1 - k] = leaves[i]
    for j in range(size - 1 - n, -1, -1):
        nodes[j] = node(nodes[2 * j + 1], nodes[2 * j + 2])
    return Tree(nodes, position)


def root(t: Tree) -> bytes:
    """The root of a tree (the commitment anchored on chain)."""
    return t.root


def proof(t: Tree, index: int) -> list[bytes]:
    """The siblings from the leaf given at ``index`` up to the root."""
    i = t.position[index]
    out = []
    while i > 0:
        out.append(t.nodes[i - 1 if i % 2 == 0 else i + 1])
        i = (i - 1) // 2
    return out


def process_proof(leaf_hash: bytes, proof_: list[bytes]) -> bytes:
    """The root a leaf and its proof lead to (``MerkleProof.processProof``)."""
    h = leaf_hash
    for sibling in proof_:
        h = node(h, sibling)
    return h


def verify(leaf_hash: bytes, proof_: list[bytes], root_: bytes) -> bool:
    """Whether ``proof_`` leads from ``leaf_hash`` to ``root_`` (``MerkleProof.verify``)."""
    return process_proof(leaf_hash, proof_) == root_


def values(batch_id: int, index: int, ref: str, payer_hash: str, tax_type_hex: str, amount_bani: int,
           paid_at: int) -> list[str]:
    """A payment's leaf values as ``@openzeppelin/merkle-tree`` takes them (decimal strings for
    integers, ``0x`` hex for ``bytes32``)."""
    return [str(batch_id), str(index), ref, payer_hash, tax_type_hex, str(amount_bani), str(paid_at)]
