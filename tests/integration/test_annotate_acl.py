"""The annotate_transaction and annotate_client ACLs: they always match and,
when checked, add their key=value notes to the transaction (and, for
annotate_client, to the client connection, so that its later requests
start with them).  `%{key}note` logs the notes and `note` ACLs test them;
key+=value appends a value, key=value replaces the key's values, -m splits
a value into several notes."""

import os

from helpers import RawClient, build, get, wait_for

LOGFORMAT = "%ru %{special}note %{who}note %{k}note"


def conf(workdir, extra, before=""):
    os.chmod(workdir, 0o777)
    return (before + "logformat marks %s\n"
            "access_log %s/marks.log marks\n" % (LOGFORMAT, workdir)) + extra


def log_lines(workdir, n):
    """The first n lines of marks.log (waited for), without %ru."""
    path = os.path.join(workdir, "marks.log")

    def have():
        if not os.path.exists(path):
            return None
        with open(path) as f:
            lines = f.read().splitlines()
        return lines if len(lines) >= n else None
    got = wait_for(have, 5.0)
    assert got is not None, "fewer than %d lines in marks.log" % n
    return [l.split(" ", 1)[1] for l in got]


def test_annotate_transaction_marks_for_a_later_rule(proxy, origin, workdir):
    """Squid's own example: a rule that never matches marks the request,
    a later rule tests the mark with a note ACL."""
    extra = ("acl mark annotate_transaction special=true\n"
             "acl marked note special true\n"
             "acl blockpath urlpath_regex ^/blocked\n")
    access = ("http_access deny blockpath mark !all\n"
              "http_access deny marked\n"
              "http_access allow localhost\n"
              "http_access deny all\n")
    p = proxy(conf_extra=conf(workdir, extra), access=access)
    assert get(p.port, origin.url("/blocked/x")).status == 403
    assert get(p.port, origin.url("/fine")).status == 200
    assert [r.target for r in origin.requests] == ["/fine"]
    assert log_lines(workdir, 2) == ["true - -", "- - -"]


def test_annotate_client_sticks_to_the_connection(proxy, origin, workdir):
    extra = ("acl tagpath urlpath_regex ^/tagme\n"
             "acl tagclient annotate_client who=alice\n")
    access = ("http_access allow localhost tagpath tagclient\n"
              "http_access allow localhost\n"
              "http_access deny all\n")
    p = proxy(conf_extra=conf(workdir, extra), access=access)
    with RawClient(p.port) as c:
        c.send(build("GET", origin.url("/first")))
        assert c.read_response().status == 200
        c.send(build("GET", origin.url("/tagme")))
        assert c.read_response().status == 200
        c.send(build("GET", origin.url("/later")))
        assert c.read_response().status == 200
    assert get(p.port, origin.url("/other-connection")).status == 200
    assert log_lines(workdir, 4) == ["- - -", "- alice -", "- alice -", "- - -"]


def test_append_replace_and_split(proxy, origin, workdir):
    extra = ("acl k1 annotate_transaction k=1\n"
             "acl k2 annotate_transaction k+=2\n"
             "acl k3 annotate_transaction k=3\n"
             "acl ksplit annotate_transaction -m k+=a,b\n"
             "acl hasb note k b\n"
             "acl p_append urlpath_regex ^/append\n"
             "acl p_replace urlpath_regex ^/replace\n"
             "acl p_split urlpath_regex ^/split\n")
    access = ("http_access allow localhost p_append k1 k2\n"
              "http_access allow localhost p_replace k1 k2 k3\n"
              "http_access deny p_split ksplit hasb\n"
              "http_access allow localhost\n"
              "http_access deny all\n")
    p = proxy(conf_extra=conf(workdir, extra), access=access)
    assert get(p.port, origin.url("/append")).status == 200
    assert get(p.port, origin.url("/replace")).status == 200
    # -m: "a" and "b" become two notes, so the note ACL finds "b" alone
    assert get(p.port, origin.url("/split")).status == 403
    assert log_lines(workdir, 3) == ["- - 1,2", "- - 3", "- - a,b"]


def test_annotation_acl_loads_and_checks(proxy, origin, workdir):
    """Several pairs on one line, an annotation ACL in a directive other
    than http_access (an access_log checked before the one that logs the
    notes), negated: it still annotates."""
    extra = "acl two annotate_transaction special=yes k=v\n"
    before = ("acl marker annotate_transaction who=logged\n"
              "access_log %s/marks2.log squid !marker\n" % workdir)
    p = proxy(conf_extra=conf(workdir, extra, before),
              access="http_access allow localhost two\nhttp_access deny all\n")
    assert get(p.port, origin.url("/x")).status == 200
    assert log_lines(workdir, 1) == ["yes logged v"]
    assert not os.path.exists(os.path.join(workdir, "marks2.log")) or \
        open(os.path.join(workdir, "marks2.log")).read() == ""

