# pragma version ~=0.4.3
"""
@title Treasury: local taxes and fees of a city hall, and the Merkle roots that anchor them
@notice Payments are recorded one by one (`record`, an event each) or, for throughput, in
        batches whose Merkle root is anchored (`anchor`); `verify` checks a payment's proof
        against an anchored root. The trees are OpenZeppelin's standard Merkle trees
        (double-hashed leaves, sorted pairs), so a receipt also verifies with
        the npm package openzeppelin/merkle-tree or Solidity's MerkleProof. Only accounts with the
        treasury role may record or anchor.
        Nothing personal is stored: a payer is a salted hash of a pseudonymous id.
"""

admin: public(address)
treasury: public(HashMap[address, bool])

struct Batch:
    root: bytes32
    count: uint256
    total_bani: uint256
    anchored_at: uint256

batches: public(HashMap[uint256, Batch])
payments_recorded: public(uint256)
batches_anchored: public(uint256)

event Payment:
    ref: indexed(bytes32)
    payer_hash: indexed(bytes32)
    tax_type: bytes32
    amount_bani: uint256

event Anchored:
    batch_id: indexed(uint256)
    root: bytes32
    count: uint256
    total_bani: uint256

event RoleChanged:
    account: indexed(address)
    role: bytes32
    granted: bool


@deploy
def __init__():
    self.admin = msg.sender
    self.treasury[msg.sender] = True
    log RoleChanged(account=msg.sender, role=convert(b"treasury", bytes32), granted=True)


@external
def set_treasury(account: address, granted: bool):
    assert msg.sender == self.admin, "only admin"
    self.treasury[account] = granted
    log RoleChanged(account=account, role=convert(b"treasury", bytes32), granted=granted)


@external
def record(ref: bytes32, payer_hash: bytes32, tax_type: bytes32, amount_bani: uint256):
    assert self.treasury[msg.sender], "only treasury"
    assert amount_bani > 0, "amount must be positive"
    self.payments_recorded += 1
    log Payment(ref=ref, payer_hash=payer_hash, tax_type=tax_type, amount_bani=amount_bani)


@external
def anchor(batch_id: uint256, root: bytes32, count: uint256, total_bani: uint256):
    assert self.treasury[msg.sender], "only treasury"
    assert self.batches[batch_id].anchored_at == 0, "batch already anchored"
    assert count > 0, "empty batch"
    self.batches[batch_id] = Batch(root=root, count=count, total_bani=total_bani, anchored_at=block.timestamp)
    self.batches_anchored += 1
    log Anchored(batch_id=batch_id, root=root, count=count, total_bani=total_bani)


@view
@external
def leaf(batch_id: uint256, index: uint256, ref: bytes32, payer_hash: bytes32, tax_type: bytes32,
         amount_bani: uint256, paid_at: uint256) -> bytes32:
    """The leaf of a payment in OpenZeppelin's standard Merkle tree:
    keccak256(keccak256(abi.encode(fields))). Hashing twice separates leaves from inner nodes
    (the hash of 64 bytes), so an inner node can never pass as a leaf."""
    return keccak256(keccak256(abi_encode(batch_id, index, ref, payer_hash, tax_type, amount_bani, paid_at)))


@view
@external
def verify(batch_id: uint256, index: uint256, ref: bytes32, payer_hash: bytes32, tax_type: bytes32,
           amount_bani: uint256, paid_at: uint256, proof: DynArray[bytes32, 40]) -> bool:
    """Whether this payment is in the batch's anchored tree: the leaf is recomputed from the
    fields (never taken as given), its index must be inside the batch, and the proof is
    checked as OpenZeppelin's MerkleProof.verify does (each step hashes the sorted pair)."""
    batch: Batch = self.batches[batch_id]
    if batch.root == empty(bytes32) or index >= batch.count:
        return False
    node: bytes32 = keccak256(keccak256(abi_encode(batch_id, index, ref, payer_hash, tax_type, amount_bani,
                                                   paid_at)))
    for sibling: bytes32 in proof:
        if convert(node, uint256) < convert(sibling, uint256):
            node = keccak256(concat(node, sibling))
        else:
            node = keccak256(concat(sibling, node))
    return node == batch.root
