# SPDX-License-Identifier: GPL-2.0
"""The Prometheus side of the tests: the text exposition format parsed
strictly, scrapes, and a real Prometheus server scraping gomapleak."""
import json
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import gml

SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def unescape(value):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "\\": "\\", '"': '"'}[m.group(1)], value)


def parse_labels(text):
    """Label pairs, unescaped; fails on anything the format does not allow."""
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL_RE.match(text, pos)
        if not m:
            raise AssertionError("bad labels at %d: %r" % (pos, text))
        labels[m.group(1)] = unescape(m.group(2))
        pos = m.end()
    return labels


def parse_exposition(text):
    """([(name, labels, value)], {family: type}, {family: help}) of a text format 0.0.4 page."""
    samples, types, helps = [], {}, {}
    for l in text.split("\n"):
        if l.startswith("# HELP "):
            name, help_text = l[7:].split(" ", 1)
            helps[name] = help_text
        elif l.startswith("# TYPE "):
            name, kind = l[7:].split(" ")
            types[name] = kind
        elif l:
            m = SAMPLE_RE.match(l)
            if not m:
                raise AssertionError("bad sample line %r" % l)
            samples.append((m.group(1), parse_labels(m.group(2) or ""), float(m.group(3))))
    return samples, types, helps


def series(samples, name, **labels):
    return [v for n, l, v in samples if n == name and all(l.get(k) == v2 for k, v2 in labels.items())]


def scrape(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_prometheus(tmp, metrics_url):
    """A Prometheus server scraping metrics_url every second: (its Process, its base URL)."""
    port = free_port()
    target = urllib.parse.urlparse(metrics_url).netloc
    config = os.path.join(tmp, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: gomapleak\n"
                "    static_configs:\n      - targets: ['%s']\n" % target)
    p = gml.Process(["prometheus", "--config.file=" + config,
                     "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
                     "--web.listen-address=127.0.0.1:%d" % port], stdin=False)
    return p, "http://127.0.0.1:%d" % port


def query_prometheus(base, query, timeout=45.0):
    """The query's vector, once it is not empty."""
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                last = json.load(r)
            if last["status"] == "success" and last["data"]["result"]:
                return last["data"]["result"]
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    raise AssertionError("Prometheus never answered %r: %r" % (query, last))
