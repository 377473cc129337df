"""A connection to an EVM chain: the embedded one, or a real JSON-RPC node, through one API.

:func:`open_chain` gives a :class:`Chain`:

* ``url=None`` — web3.py's ``EthereumTesterProvider`` (py-evm) in this process: zero set-up;
* ``url="http://127.0.0.1:8545"`` — any node (ganache, geth, a vendor's chain). An unreachable
  node is a :class:`LedgerUnavailable` naming the URL.

Transactions are **signed locally** by :class:`eth_account` accounts, on every chain the same
way. On a development chain (the embedded one, ganache) the ledger makes its own accounts — one
per role, ``keccak256(seed ‖ role)`` from a 32-byte secret ``seed`` the caller keeps (the
ledger keeps it in its private store; see :mod:`ledger.ledger`), or a fresh random seed if none
is given — and funds them from the node's first unlocked account; on any other node give
``private_key`` of a funded account. No key is ever derived from a public constant. **Nonces** are kept per account behind a lock, so threads may send at once
without reusing one; after a failed send the next nonce is read from the node again.

A transaction the contract rejects surfaces as :class:`LedgerReverted` with the contract's
reason (``only treasury``), whether the node reports it when the gas is estimated or in the
receipt.
"""
from __future__ import annotations

import threading

from eth_account import Account
from twin.errors import TwinError


class LedgerError(TwinError):
    """Something the ledger cannot do; the message says what and why."""


class LedgerUnavailable(LedgerError):
    """The chain node cannot be reached."""


class LedgerReverted(LedgerError):
    """The contract rejected a transaction (the message carries its reason)."""


ROLES = ("admin", "treasury", "issuer", "auditor", "outsider")


class Chain:
    """A web3 connection with the ledger's accounts and nonce handling (see the module docstring)."""

    def __init__(self, w3, url: str | None, accounts: dict, receipt_timeout_s: float = 30.0):
        self.w3 = w3
        self.url = url
        self.accounts = accounts                   # role -> LocalAccount
        self.receipt_timeout_s = receipt_timeout_s
        self._lock = threading.Lock()
        self._nonce: dict[str, int] = {}
        self.chain_id = int(w3.eth.chain_id)
        self.sent = 0

    @property
    def embedded(self) -> bool:
        return self.url is None

    def account(self, role: str):
        return self.accounts[role]

    def deploy(self, abi, bytecode, role: str = "admin") -> str:
        """Deploy a contract; returns its address."""
        c = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        rcpt = self.send(c.constructor(), role)
        return rcpt["contractAddress"]

    def send(self, call, role: str, gas: int | None = None):
        """Sign and send ``call`` (a contract function or constructor call) as ``role``; wait for
        the receipt. Raises LedgerReverted or LedgerUnavailable."""
        acct = self.accounts[role]
        try:
            with self._lock:
                nonce = self._nonce.get(acct.address)
                if nonce is None:
                    nonce = self.w3.eth.get_transaction_count(acct.address, "pending")
                params = {"from": acct.address, "nonce": nonce, "chainId": self.chain_id}
                if gas is not None:
                    params["gas"] = gas
                tx = call.build_transaction(params)            # estimates gas: a revert shows here
                signed = acct.sign_transaction(tx)
                h = self.w3.eth.send_raw_transaction(signed.raw_transaction)
                self._nonce[acct.address] = nonce + 1
                self.sent += 1
            rcpt = self.w3.eth.wait_for_transaction_receipt(h, timeout=self.receipt_timeout_s)
        except Exception as exc:  # noqa: BLE001 - mapped to the ledger's errors below
            with self._lock:
                self._nonce.pop(acct.address, None)            # re-read after any failure
            raise _map(exc, self.url) from None
        if rcpt["status"] != 1:
            raise LedgerReverted(f"transaction {h.hex()} reverted (no reason given)")
        return rcpt

    def call(self, fn):
        """A read-only contract call (LedgerUnavailable if the node is gone)."""
        try:
            return fn.call()
        except Exception as exc:  # noqa: BLE001
            raise _map(exc, self.url) from None


def as_ledger_error(exc: Exception, url) -> LedgerError:
    """The ledger's error for whatever web3 or the node raised (see the module docstring)."""
    return _map(exc, url)


def _map(exc: Exception, url) -> LedgerError:
    from web3.exceptions import ContractLogicError, TimeExhausted

    if isinstance(exc, LedgerError):
        return exc
    text = str(exc)
    if isinstance(exc, ContractLogicError) or "revert" in text.lower() or type(exc).__name__ == "TransactionFailed":
        import re

        m = re.search(r"revert(?:ed)?[: ]+([^'\"{}]+)", text)
        reason = m.group(1).strip(" :,") if m else text[:200]
        return LedgerReverted(f"the contract rejected the transaction: {reason}")
    if isinstance(exc, TimeExhausted):
        return LedgerUnavailable(f"chain {url or 'embedded'}: no receipt in time ({text})")
    if isinstance(exc, (ConnectionError, OSError)) or "connect" in text.lower() or "connection" in type(exc).__name__.lower():
        return LedgerUnavailable(f"chain node {url} is unreachable: {text[:200]}")
    return LedgerError(f"chain {url or 'embedded'}: {type(exc).__name__}: {text[:300]}")


#: what each of the ledger's own accounts gets from the node's bank when it has less than a tenth
FUNDING_WEI = 10**18


def role_keys(seed: bytes) -> dict:
    """One account per role from a secret seed: ``keccak256(seed ‖ "smartcity-twin:" ‖ role)``."""
    from eth_hash.auto import keccak

    if not isinstance(seed, bytes) or len(seed) < 16:
        raise LedgerError("account seed: give at least 16 secret random bytes")
    return {r: Account.from_key(keccak(seed + f"smartcity-twin:{r}".encode())) for r in ROLES}


def open_chain(url: str | None = None, private_key: str | None = None, timeout_s: float = 10.0,
               seed: bytes | None = None) -> Chain:
    """Connect to the embedded chain (``url=None``) or a node (see the module docstring).

    Parameters
    ----------
    url
        ``http(s)://`` JSON-RPC URL, or None for the embedded py-evm chain.
    private_key
        A funded account that signs for every role (a real node).
    timeout_s
        How long a request to the node may take.
    seed
        Without ``private_key``: the secret the ledger's own accounts come from (the same seed
        gives the same accounts, so a store finds its contracts again). None draws a fresh one
        from the OS's CSPRNG: accounts nobody else can compute, for this connection only.
    """
    import secrets

    from web3 import Web3

    if url is None:
        from web3 import EthereumTesterProvider

        w3 = Web3(EthereumTesterProvider())
    else:
        if not url.startswith(("http://", "https://")):
            raise LedgerError(f"--chain-url {url!r}: give an http(s):// JSON-RPC URL")
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout_s}))
        try:
            w3.eth.chain_id
        except Exception as exc:  # noqa: BLE001
            raise LedgerUnavailable(f"--chain-url {url}: the node does not answer ({type(exc).__name__})") from None
    if private_key:
        acct = Account.from_key(private_key)
        accounts = {r: acct for r in ROLES[:-1]}
        accounts["outsider"] = Account.create()            # a stranger with no role (for checks)
        return Chain(w3, url, accounts)
    # a development chain: our own accounts, funded by the node's first unlocked one
    accounts = role_keys(seed if seed is not None else secrets.token_bytes(32))
    try:
        bank = w3.eth.accounts[0]
    except Exception as exc:  # noqa: BLE001
        raise LedgerError(f"chain {url}: no unlocked account to fund the ledger; give a private key "
                          f"({type(exc).__name__})") from None
    for a in accounts.values():
        if w3.eth.get_balance(a.address) < FUNDING_WEI // 10:
            h = w3.eth.send_transaction({"from": bank, "to": a.address, "value": FUNDING_WEI})
            w3.eth.wait_for_transaction_receipt(h)
    return Chain(w3, url, accounts)
