# pragma version ~=0.4.3
"""
@title Treasury: local taxes and fees of a city hall, and the Merkle roots that anchor them
@notice Payments are recorded one by one (`record`, an event each) or, for throughput, in
        batches whose Merkle root is anchored (`anchor`); `verify` checks a payment's proof
        against an anchored root. Only accounts with the treasury role may record or anchor.
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
def verify(batch_id: uint256, leaf: bytes32, proof: DynArray[bytes32, 40], index: uint256) -> bool:
    """Whether `leaf` is at position `index` of the batch's Merkle tree (keccak256 of the
    ordered pair of children; an odd node is paired with itself)."""
    root: bytes32 = self.batches[batch_id].root
    if root == empty(bytes32):
        return False
    node: bytes32 = leaf
    i: uint256 = index
    for sibling: bytes32 in proof:
        if i % 2 == 0:
            node = keccak256(concat(node, sibling))
        else:
            node = keccak256(concat(sibling, node))
        i = i // 2
    return node == root
