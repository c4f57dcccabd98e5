"""Write tokens: shown once when created, stored only as a SHA-256 hash, compared in constant time.

A token reads `ssk_<key id>_<secret>`: the key id (8 hex characters, also shown by
`searchsvc token list`) finds the row, the hash of the whole token must then match. The
functions take a connection or a pool (anything with fetchrow/fetch/execute); no I/O of their own.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "ssk"
_TOKEN = re.compile(r"ssk_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")
NAME_MAX_LENGTH = 100

# the partial unique index (0007) keeps one active token per name, also between concurrent creates
CREATE_SQL = """
INSERT INTO api_token (name, key_id, token_hash) VALUES ($1, $2, $3)
ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING
RETURNING key_id
"""
LIST_SQL = """
SELECT name, key_id, created_at, last_used_at, revoked_at
FROM api_token
ORDER BY revoked_at IS NOT NULL, name, created_at
"""
REVOKE_SQL = """
UPDATE api_token SET revoked_at = now()
WHERE revoked_at IS NULL AND (name = $1 OR key_id = $1)
RETURNING name, key_id
"""
LOOKUP_SQL = "SELECT id, name, token_hash FROM api_token WHERE key_id = $1 AND revoked_at IS NULL"
# At most one write per token and hour: enough for `token list`, no hot row under load.
TOUCH_SQL = """
UPDATE api_token SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 hour')
"""


class TokenNameTaken(Exception):
    """An active token already has this name."""


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def new_token() -> tuple[str, str]:
    """(key id, token): 8 hex characters and 256 random bits."""
    key_id = secrets.token_hex(4)
    return key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def create_token(conn, name: str) -> str:
    """Store a new token for `name` and return it; it cannot be read back later."""
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"token name must be 1 to {NAME_MAX_LENGTH} characters")
    key_id, token = new_token()
    if await conn.fetchval(CREATE_SQL, name, key_id, token_hash(token)) is None:
        raise TokenNameTaken(name)
    return token


async def list_tokens(conn) -> list:
    return await conn.fetch(LIST_SQL)


async def revoke_token(conn, name_or_key_id: str) -> list:
    """Revoke the active tokens with this name or key id; return (name, key_id) of each."""
    return await conn.fetch(REVOKE_SQL, name_or_key_id.strip())


async def verify(conn, token: str | None) -> str | None:
    """The name of the active token `token`, or None. Compares hashes in constant time."""
    presented = token_hash(token or "")
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        return None
    row = await conn.fetchrow(LOOKUP_SQL, match.group(1))
    if row is None or not hmac.compare_digest(bytes(row["token_hash"]), presented):
        return None
    await conn.execute(TOUCH_SQL, row["id"])
    return row["name"]
