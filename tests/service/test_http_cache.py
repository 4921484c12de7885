"""Cache-aside of user profiles (`session-{id}` in Redis: `<token epoch>:<separated ids>:<user
JSON>`), looked at in Redis itself."""

from __future__ import annotations

import itertools

import httpx
import orjson
import redis

from api.cache import GONE, user_key
from tests.helpers import Account, Database, assert_error, bearer
from tests.services import Mailbox

CACHE_TTL = 60
_n = itertools.count(1)


def _cached(redis_client: redis.Redis, user_id: int) -> tuple[int, dict]:
    """The entry's token epoch and user."""
    epoch, _, rest = redis_client.get(user_key(user_id)).partition(b":")
    _separated, _, raw = rest.partition(b":")
    return int(epoch), orjson.loads(raw)


def test_get_user_fills_the_cache_with_a_ttl(
    client: httpx.Client, make_account, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    other: Account = make_account()
    redis_client.delete(user_key(other.id))
    r = client.get(f"/v1/users/{other.id}", headers=me.headers)
    assert r.status_code == 200
    assert redis_client.exists(user_key(other.id))
    assert 0 < redis_client.ttl(user_key(other.id)) <= CACHE_TTL
    epoch, cached = _cached(redis_client, other.id)
    assert cached["id"] == other.id and cached["username"] == other.username
    assert epoch == 0 and "token_epoch" not in cached and "epoch" not in r.json()["data"]
    # The cache holds the full profile; the response to another user still hides the email.
    assert "email" not in r.json()["data"]


def test_cached_profile_is_served_from_redis(
    client: httpx.Client, make_account, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    other: Account = make_account()
    assert client.get(f"/v1/users/{other.id}", headers=me.headers).status_code == 200
    # A planted value is what the service answers: it reads Redis before PostgreSQL.
    epoch, planted = _cached(redis_client, other.id)
    planted["username"] = "from-the-cache"
    redis_client.set(user_key(other.id), b"%d::%b" % (epoch, orjson.dumps(planted)), ex=CACHE_TTL)
    r = client.get(f"/v1/users/{other.id}", headers=me.headers)
    assert r.json()["data"]["username"] == "from-the-cache"
    redis_client.delete(user_key(other.id))
    r = client.get(f"/v1/users/{other.id}", headers=me.headers)
    assert r.json()["data"]["username"] == other.username


def test_authenticated_requests_fill_the_callersuser_key(
    client: httpx.Client, make_account, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    redis_client.delete(user_key(me.id))
    assert client.get("/v1/users/feed", headers=me.headers).status_code == 200
    assert 0 < redis_client.ttl(user_key(me.id)) <= CACHE_TTL


def test_activation_removes_theuser_key(
    client: httpx.Client, make_account, mailbox: Mailbox, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    n = next(_n)
    email = f"cache{n}@example.com"
    body = {"username": f"cache_{n}_{me.id}", "email": email, "password": "correct horse"}
    user_id = client.post("/v1/auth/register", json=body).json()["data"]["id"]
    r = client.get(f"/v1/users/{user_id}", headers=me.headers)
    assert r.status_code == 200 and r.json()["data"]["is_active"] is False
    assert redis_client.exists(user_key(user_id))

    assert client.put(f"/v1/users/activate/{mailbox.activation_token(email)}").status_code == 204
    assert redis_client.get(user_key(user_id)).startswith(GONE)
    r = client.get(f"/v1/users/{user_id}", headers=me.headers)
    assert r.json()["data"]["is_active"] is True
    # The fresh login works at once: no stale "inactive" entry in the way.
    r = client.post("/v1/auth/login", json={"email": email, "password": "correct horse"})
    assert r.status_code == 200
    me_again = client.get(f"/v1/users/{user_id}", headers=bearer(r.json()["data"]["access_token"]))
    assert me_again.status_code == 200


def test_role_change_removes_theuser_key(
    client: httpx.Client, make_account, redis_client: redis.Redis
) -> None:
    admin: Account = make_account(role="admin")
    target: Account = make_account()
    assert client.get(f"/v1/users/{target.id}", headers=target.headers).status_code == 200
    assert redis_client.exists(user_key(target.id))
    r = client.put(f"/v1/users/{target.id}/role", json={"role": "moderator"}, headers=admin.headers)
    assert r.status_code == 200
    # A tombstone: a read that raced the change cannot store the old role over it.
    assert redis_client.get(user_key(target.id)).startswith(GONE)
    assert 0 < redis_client.ttl(user_key(target.id)) < CACHE_TTL
    r = client.get(f"/v1/users/{target.id}", headers=target.headers)
    assert r.json()["data"]["role"]["name"] == "moderator"
    assert _cached(redis_client, target.id)[1]["role"]["name"] == "moderator"


def test_failed_role_change_keeps_theuser_key(
    client: httpx.Client, make_account, redis_client: redis.Redis
) -> None:
    admin: Account = make_account(role="admin")
    target: Account = make_account()
    client.get(f"/v1/users/{target.id}", headers=target.headers)
    r = client.put(f"/v1/users/{target.id}/role", json={"role": "king"}, headers=admin.headers)
    assert_error(r, 400)
    assert redis_client.exists(user_key(target.id))


def test_deleted_user_is_locked_out_once_the_key_is_gone(
    client: httpx.Client, make_account, db: Database, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    assert client.get(f"/v1/users/{me.id}", headers=me.headers).status_code == 200
    assert redis_client.exists(user_key(me.id))
    db.fetch("SELECT api.delete_user(p_user_id => $1)", me.id)
    # A deletion outside the API does not touch the cache: the entry lives out its TTL.
    assert client.get("/v1/users/feed", headers=me.headers).status_code == 200
    redis_client.delete(user_key(me.id))
    assert_error(client.get("/v1/users/feed", headers=me.headers), 401)
    assert_error(client.get(f"/v1/users/{me.id}", headers=me.headers), 401)
    assert not redis_client.exists(user_key(me.id))  # a missing user is not cached


def test_registration_compensation_removes_theuser_key(
    client: httpx.Client, db: Database, redis_client: redis.Redis
) -> None:
    # The id the next registration will get (nothing else registers meanwhile).
    last = db.fetchval(
        "SELECT last_value FROM pg_sequences "
        "WHERE schemaname = 'social' AND sequencename = "
        "split_part(pg_get_serial_sequence('social.users', 'id'), '.', 2)"
    )
    next_id = (last or 0) + 1
    redis_client.set(user_key(next_id), b'{"stale": true}', ex=CACHE_TTL)
    n = next(_n)
    body = {
        "username": f"compensated_{n}_{next_id}",
        "email": f"bounce.cache{n}.{next_id}@example.com",
        "password": "correct horse",
    }
    assert_error(client.post("/v1/auth/register", json=body), 500)
    assert db.fetchval("SELECT count(*) FROM social.users WHERE id = $1", next_id) == 0
    assert redis_client.get(user_key(next_id)).startswith(GONE)


def test_unknown_users_are_not_cached(
    client: httpx.Client, make_account, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    missing = 4611686018427387904
    assert_error(client.get(f"/v1/users/{missing}", headers=me.headers), 404)
    assert not redis_client.exists(user_key(missing))


def test_the_token_epoch_is_checked_against_the_cached_entry(
    client: httpx.Client, make_account, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200
    epoch, user = _cached(redis_client, me.id)
    # The entry is what decides, with no database read: another epoch there refuses the token.
    redis_client.set(user_key(me.id), b"%d::%b" % (epoch + 1, orjson.dumps(user)), ex=CACHE_TTL)
    assert_error(client.get("/v1/users/me", headers=me.headers), 401)
    redis_client.delete(user_key(me.id))
    r = client.get("/v1/users/me", headers=me.headers)
    assert r.status_code == 200 and "epoch" not in r.text
    assert _cached(redis_client, me.id)[0] == epoch


def test_a_password_change_drops_the_entry_with_the_old_epoch(
    client: httpx.Client, make_account, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200
    epoch, _ = _cached(redis_client, me.id)
    r = client.put(
        "/v1/users/me/password",
        json={"current_password": me.password, "password": "a changed secret"},
        headers=me.headers,
    )
    assert r.status_code == 200
    # Every instance reads the new epoch.
    assert redis_client.get(user_key(me.id)).startswith(GONE)
    assert_error(client.get("/v1/users/me", headers=me.headers), 401)
    assert _cached(redis_client, me.id)[0] == epoch + 1
    new = bearer(r.json()["data"]["access_token"])
    assert client.get("/v1/users/me", headers=new).status_code == 200


def test_an_entry_of_another_shape_is_a_miss(
    client: httpx.Client, make_account, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    other: Account = make_account()
    # As a service that cached the bare JSON would have left it: read again and replaced.
    stale = orjson.dumps({"id": other.id, "username": "old shape"})
    redis_client.set(user_key(other.id), stale)
    redis_client.set(f"user-{other.id}", stale)  # v1.0's key, which old instances still read
    # v1.1's entry (`<epoch>:<JSON>`, key session-user-<id>), which 1.1 instances still read.
    redis_client.set(f"session-user-{other.id}", b"0:" + stale)
    r = client.get(f"/v1/users/{other.id}", headers=me.headers)
    assert r.json()["data"]["username"] == other.username
    assert _cached(redis_client, other.id)[1]["username"] == other.username
    assert redis_client.get(f"user-{other.id}") == stale  # never read or written by this one
