# pragma version ~=0.4.3
"""
@title Permits: a registry of the permits a city hall issues
@notice Issuers issue permits (the hash of the permit document, validity dates, type and
        department) and may revoke those they issued; auditors may revoke any; the admin grants
        roles. Anyone can verify a permit by its id.
"""

ISSUER: constant(uint8) = 1
AUDITOR: constant(uint8) = 2

admin: public(address)
roles: public(HashMap[address, uint8])         # bit set of ISSUER | AUDITOR

struct Permit:
    doc_hash: bytes32
    permit_type: bytes32
    department: bytes32
    valid_from: uint256
    valid_to: uint256
    issuer: address
    issued_at: uint256
    revoked: bool
    revoke_reason: bytes32

permits: public(HashMap[bytes32, Permit])
issued: public(uint256)

event Issued:
    permit_id: indexed(bytes32)
    doc_hash: bytes32
    permit_type: bytes32
    department: bytes32
    valid_from: uint256
    valid_to: uint256

event Revoked:
    permit_id: indexed(bytes32)
    reason: bytes32
    by: address

event RoleChanged:
    account: indexed(address)
    roles: uint8


@deploy
def __init__():
    self.admin = msg.sender


@external
def set_roles(account: address, new_roles: uint8):
    assert msg.sender == self.admin, "only admin"
    assert new_roles <= 3, "unknown role"
    self.roles[account] = new_roles
    log RoleChanged(account=account, roles=new_roles)


@external
def issue(permit_id: bytes32, doc_hash: bytes32, permit_type: bytes32, department: bytes32,
          valid_from: uint256, valid_to: uint256):
    assert self.roles[msg.sender] & ISSUER != 0, "only issuer"
    assert self.permits[permit_id].issued_at == 0, "permit id already used"
    assert valid_to > valid_from, "valid_to must be after valid_from"
    self.permits[permit_id] = Permit(doc_hash=doc_hash, permit_type=permit_type, department=department,
                                     valid_from=valid_from, valid_to=valid_to, issuer=msg.sender,
                                     issued_at=block.timestamp, revoked=False, revoke_reason=empty(bytes32))
    self.issued += 1
    log Issued(permit_id=permit_id, doc_hash=doc_hash, permit_type=permit_type, department=department,
               valid_from=valid_from, valid_to=valid_to)


@external
def revoke(permit_id: bytes32, reason: bytes32):
    p: Permit = self.permits[permit_id]
    assert p.issued_at != 0, "no such permit"
    assert not p.revoked, "already revoked"
    mine: bool = self.roles[msg.sender] & ISSUER != 0 and p.issuer == msg.sender
    assert mine or self.roles[msg.sender] & AUDITOR != 0, "only its issuer or an auditor"
    self.permits[permit_id].revoked = True
    self.permits[permit_id].revoke_reason = reason
    log Revoked(permit_id=permit_id, reason=reason, by=msg.sender)
