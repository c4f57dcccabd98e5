"""`searchsvc token create|list|revoke`: the token is printed once, only its hash is stored."""

import asyncio
import hashlib

import asyncpg
import pytest

from searchsvc import auth

from .conftest import fetch, run_cli


@pytest.fixture
def env_db(database_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


_fetch = fetch


def _verify(url: str, token: str) -> str | None:
    async def check():
        conn = await asyncpg.connect(url)
        try:
            return await auth.verify(conn, token)
        finally:
            await conn.close()

    return asyncio.run(check())


def test_create_prints_the_token_once_and_stores_only_its_hash(env_db, capsys):
    code, out, err = run_cli(capsys, "token", "create", "--name", "reverb-scraper")
    assert code == 0
    token = out.strip()
    assert token.startswith("ssk_") and len(out.splitlines()) == 1
    assert "shown only this once" in err
    [row] = asyncio.run(_fetch(env_db, "SELECT * FROM api_token"))
    assert bytes(row["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert all(token not in str(value) for value in row.values())
    assert row["key_id"] == token.split("_")[1]
    assert _verify(env_db, token) == "reverb-scraper"

    code, listed, _ = run_cli(capsys, "token", "list")
    assert code == 0 and "reverb-scraper" in listed and row["key_id"] in listed and token not in listed


def test_a_second_active_token_with_the_same_name_is_refused(env_db, capsys):
    assert run_cli(capsys, "token", "create", "--name", "twice")[0] == 0
    code, out, err = run_cli(capsys, "token", "create", "--name", "twice")
    assert code == 1 and out == "" and "already" in err


def test_revoked_token_no_longer_writes(env_db, capsys):
    token = run_cli(capsys, "token", "create", "--name", "old")[1].strip()
    keep = run_cli(capsys, "token", "create", "--name", "other")[1].strip()
    code, out, _ = run_cli(capsys, "token", "revoke", "--name", "old")
    assert code == 0 and "revoked old" in out
    assert _verify(env_db, token) is None
    assert _verify(env_db, keep) == "other"
    assert run_cli(capsys, "token", "revoke", "--name", "old")[0] == 1  # nothing active left by that name
    # a revoked name can be given a new token; revoking by key id works too
    fresh = run_cli(capsys, "token", "create", "--name", "old")[1].strip()
    assert run_cli(capsys, "token", "revoke", "--name", fresh.split("_")[1])[0] == 0
    assert _verify(env_db, fresh) is None
    listed = run_cli(capsys, "token", "list")[1]
    assert listed.count("\nold\t") == 2


@pytest.mark.parametrize("presented", [
    None, "", "ssk_", "ssk_zzzzzzzz_" + "A" * 43, "ssk_12345678_" + "A" * 43, "x" * 500,
])
def test_verify_refuses_anything_but_an_active_token(env_db, capsys, presented):
    run_cli(capsys, "token", "create", "--name", "real")
    assert _verify(env_db, presented) is None


def test_bearer_header_parsing():
    assert auth.bearer_token("Bearer abc") == "abc"
    assert auth.bearer_token("bearer   abc ") == "abc"
    assert auth.bearer_token("Basic abc") is None
    assert auth.bearer_token("Bearer") is None
    assert auth.bearer_token(None) is None
