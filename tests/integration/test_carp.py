"""CARP parents (cache_peer ... carp): which parent a URL goes to, as
Squid 5.7's carp.cc computes it.  peerhash.py models Squid's hash; every
test here also runs with Squid as the front proxy (PROXY_IMPL=squid), so
the model, Squid and cuttle are checked against each other: a cuttle and a
Squid in front of the same parents send a URL to the same one.

The first test puts three caching proxies behind a front proxy, the others
use scripted origins as parents (they answer absolute-URI requests and
record them)."""

import pytest

import peerhash
from helpers import get, log_entry, wait_for
from origin import Origin

NAMES = ["carp1", "carp2", "carp3"]


def carp_lines(ports, names=NAMES, opts=""):
    return "".join("cache_peer 127.0.0.1 parent %d 0 no-query no-digest carp name=%s %s\n"
                   % (port, name, opts) for port, name in zip(ports, names))


def served(proxy):
    """What proxy served (its parent-probe lines left out): [(url, code)]."""
    return [(e["url"], e["code"]) for e in proxy.access_entries(1, 0)
            if e["code"] != "NONE_NONE/000"]


def wait_served(proxy, n, timeout=5.0):
    got = wait_for(lambda: served(proxy) if len(served(proxy)) >= n else None, timeout)
    return got if got is not None else served(proxy)


def pick_paths(origin, model, pattern, per_parent, tries=1000):
    """The first per_parent paths of pattern % i that each parent owns."""
    mine = {n: [] for n, _ in model}
    for i in range(tries):
        path = pattern % i
        owned = mine[peerhash.carp_pick(model, origin.url(path))]
        if len(owned) < per_parent:
            owned.append(path)
        if all(len(v) == per_parent for v in mine.values()):
            return [p for v in mine.values() for p in v]
    raise AssertionError("no %d paths for each parent in %d tries" % (per_parent, tries))


def test_carp_caches_each_url_on_one_parent_and_a_death_moves_only_its_share(proxy, origin):
    parents = [proxy("unique_hostname %s\n" % n, cache=True) for n in NAMES]
    # connect-fail-limit=1: the first refused connection marks a parent dead
    front = proxy(carp_lines([p.port for p in parents], opts="connect-fail-limit=1")
                  + "never_direct allow all\n")
    # The origin's port is in every URL, so which parent owns a path changes
    # from run to run: take the first four paths each parent owns (twelve
    # random URLs leave a parent without any about once in 40 runs).
    model = [(n, 1) for n in NAMES]
    paths = pick_paths(origin, model, "/carp/%d", 4)
    for path in paths:
        origin.script(path, headers=[("Cache-Control", "max-age=600")], body=path + "\n")
    urls = [origin.url(p) for p in paths]
    owner = {u: peerhash.carp_pick(model, u) for u in urls}
    assert set(owner.values()) == set(NAMES), "every parent gets a share"

    for _ in range(2):
        for u in urls:
            r = get(front.port, u)
            assert r.status == 200 and r.body.decode().strip() == u.split(str(origin.port))[1]
    assert all(origin.count(p) == 1 for p in paths), "each URL fetched from the origin once"
    for parent, name in zip(parents, NAMES):
        mine = [u for u in urls if owner[u] == name]
        got = wait_served(parent, 2 * len(mine))
        assert sorted(u for u, _ in got) == sorted(mine * 2), name
        for u in mine:
            codes = [c for url, c in got if url == u]
            assert codes[0] == "TCP_MISS/200" and "HIT" in codes[1], (name, u, codes)
    assert {e["hier"] for e in front.access_entries(24)} == {"CARP/127.0.0.1"}

    # carp2 dies; a request it owned finds out (then goes to the first
    # parent left, ANY_OLD_PARENT) and it is skipped from then on
    victim = NAMES.index("carp2")
    parents[victim].stop()
    trigger = next(origin.url("/trigger/%d" % i) for i in range(100)
                   if peerhash.carp_pick(model, origin.url("/trigger/%d" % i)) == "carp2")
    assert get(front.port, trigger).status == 200
    assert wait_for(lambda: "Detected DEAD Parent: carp2" in front.cache_log, 5.0)
    alive = [n for n in NAMES if n != "carp2"]
    before = {parent: len(served(parent)) for parent in parents if parent is not parents[victim]}
    for u in urls:
        assert get(front.port, u).status == 200
    for path, u in zip(paths, urls):
        moved = owner[u] == "carp2"
        # only the dead parent's share is fetched again, by its new owner
        assert origin.count(path) == (2 if moved else 1), u
        want = peerhash.carp_pick(model, u, alive)
        assert want == owner[u] or moved
        parent = parents[NAMES.index(want)]
        assert wait_for(lambda: any(url == u for url, _ in served(parent)[before[parent]:]),
                        5.0), (u, want)
    assert front.cache_log.count("Detected DEAD Parent: carp2") == 1


@pytest.fixture
def scripted_parents():
    made = [Origin() for _ in range(3)]
    yield made
    for o in made:
        o.stop()


def which(ps, url):
    got = [i for i, p in enumerate(ps) if any(r.target == url for r in p.requests)]
    assert len(got) == 1, (url, got)
    return got[0]


def test_carp_follows_the_weights(proxy, origin, scripted_parents):
    ps = scripted_parents
    weights = [1, 2, 3]
    front = proxy("".join(
        "cache_peer 127.0.0.1 parent %d 0 no-query no-digest carp name=%s weight=%d\n"
        % (p.port, n, w) for p, n, w in zip(ps, NAMES, weights)) + "never_direct allow all\n")
    model = list(zip(NAMES, weights))
    urls = [origin.url("/w/%d" % i) for i in range(24)]
    for u in urls:
        assert get(front.port, u).status == 200
        assert NAMES[which(ps, u)] == peerhash.carp_pick(model, u), u
    # the weights show in the shares: judged on the model, which the
    # proxy has just been checked against, over enough URLs that the order
    # of the shares does not depend on the origin's port
    many = [peerhash.carp_pick(model, origin.url("/w/%d" % i)) for i in range(3000)]
    counts = [many.count(n) for n in NAMES]
    assert counts[0] < counts[1] < counts[2], counts


def test_carp_key_hashes_only_the_parts_named(proxy, origin, scripted_parents):
    # carp-key=host,path: the query does not count, so both variants of a
    # path go to the same parent, the one the host and path pick
    ps = scripted_parents
    front = proxy(carp_lines([p.port for p in ps], opts="carp-key=host,path")
                  + "never_direct allow all\n")
    model = [(n, 1) for n in NAMES]
    owners = set()
    for i in range(8):
        want = peerhash.carp_pick(model, "origin.test/ck/%d" % i)
        owners.add(want)
        for q in ("a=1", "b=2"):
            u = origin.url("/ck/%d?%s" % (i, q))
            assert get(front.port, u).status == 200
            assert NAMES[which(ps, u)] == want, u
    assert len(owners) > 1
    assert log_entry(front, 1)["hier"] == "CARP/127.0.0.1"
