"""Squid 5.7's parent-picking hashes, modelled in Python from its source
(carp.cc, peer_sourcehash.cc, peer_userhash.cc), so that a test can say
which parent a URL, a client address or a user must go to and check it
against cuttle and Squid alike.

Squid's quirks are kept: key bytes are added as signed chars, the peers
are taken by ascending weight (equal weights in file order), and CARP's
key hash is not reset between peers (each next peer sees the key folded in
once more)."""

import math

M32 = 0xFFFFFFFF


def _rotl(x, n):
    return ((x << n) | (x >> (32 - n))) & M32


def hash_add(h, data):
    for b in data.encode("latin-1") if isinstance(data, str) else data:
        sb = b - 256 if b >= 128 else b
        h = (h + _rotl(h, 19) + (sb & M32)) & M32
    return h


def hash_name(name):
    h = hash_add(0, name)
    h = (h + h * 0x62531965) & M32
    return _rotl(h, 21)


def combine(key, peer):
    c = (key ^ peer) & M32
    c = (c + c * 0x62531965) & M32
    return _rotl(c, 21)


def multipliers(weights):
    """Load multipliers of peers given in ascending weight order."""
    total = float(sum(weights))
    out, p_last, x_last, xn = [], 0.0, 0.0, 1.0
    k_all = len(weights)
    for k, w in enumerate(weights):
        p = w / total
        if math.floor(p * 1000.0) == 0.0:
            p = 0.0
        kk1 = float(k_all - k)
        num = kk1 * (p - p_last)
        if xn != 0.0:
            m = num / xn
        else:                               # IEEE, as in C
            m = math.copysign(math.inf, num) if num != 0.0 else math.nan
        m += math.pow(x_last, kk1)
        m = math.pow(m, 1.0 / kk1)
        xn *= m
        x_last = m
        p_last = p
        out.append(m)
    return out


def _ordered(peers):
    """peers: [(name, weight)] in file order -> sorted, with multipliers."""
    order = sorted(range(len(peers)), key=lambda i: peers[i][1])  # stable
    mult = multipliers([peers[i][1] for i in order])
    return [(peers[i][0], mult[j]) for j, i in enumerate(order)]


def carp_pick(peers, key, alive=None):
    """The name CARP picks for key (the URL, or the carp-key= parts) among
    peers [(name, weight)]; alive: the names that may be picked."""
    best, high, h = None, 0.0, 0
    for name, mult in _ordered(peers):
        h = hash_add(h, key)                # not reset: Squid's accumulation
        score = combine(h, hash_name(name)) * mult
        if score > high and (alive is None or name in alive):
            best, high = name, score
    return best


def key_pick(peers, key, alive=None):
    """sourcehash (key: the client IP as text) and userhash (the user)."""
    best, high = None, 0.0
    h = hash_add(0, key)
    for name, mult in _ordered(peers):
        score = combine(h, hash_name(name)) * mult
        if score > high and (alive is None or name in alive):
            best, high = name, score
    return best
