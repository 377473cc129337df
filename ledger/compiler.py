"""Compile the Vyper contracts of ``ledger/contracts`` offline, with a cache.

:func:`compiled` returns ``{"abi", "bytecode", "source_hash", "vyper", "evm_version"}`` for a
contract. The vyper package compiles the source in the repository; the result is cached as
JSON under the twin's cache folder (``TWIN_CACHE_DIR``, else ``~/.cache/smartcity-twin``),
keyed by the SHA-256 of the source, the compiler version and the EVM version, so an edited
contract is recompiled and an unchanged one is not. The EVM version is **shanghai**: the newest
both py-evm and ganache 7 execute (Vyper 0.4 defaults to cancun, which ganache lacks).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

CONTRACTS = Path(__file__).parent / "contracts"
EVM_VERSION = "shanghai"


def cache_dir() -> Path:
    from twin.city import cache_root

    return cache_root() / "vyper"


def compiled(name: str, evm_version: str = EVM_VERSION) -> dict:
    """ABI and bytecode of ``contracts/<name>.vy`` (compiled, or from the cache)."""
    import vyper

    path = CONTRACTS / f"{name}.vy"
    if not path.exists():
        raise FileNotFoundError(f"no contract {name!r} in {CONTRACTS}")
    source = path.read_text(encoding="utf-8")
    digest = hashlib.sha256(f"{source}\0{vyper.__version__}\0{evm_version}".encode()).hexdigest()
    cached = cache_dir() / f"{name}-{digest[:20]}.json"
    if cached.exists():
        try:
            return json.loads(cached.read_text())
        except ValueError:
            pass                                    # a damaged cache entry is rebuilt
    from vyper.compiler.settings import Settings

    out = vyper.compile_code(source, output_formats=["abi", "bytecode"], settings=Settings(evm_version=evm_version))
    result = {"abi": out["abi"], "bytecode": out["bytecode"], "source_hash": digest, "vyper": vyper.__version__,
              "evm_version": evm_version}
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")   # workers of a parallel run may race
    tmp.write_text(json.dumps(result))
    tmp.replace(cached)
    return result
