#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A large third-party Go program traced live: Debian's Prometheus server (~50 MB,
Go 1.19, cgo, 63,000 functions) scraping itself every 100 ms while a client
queries it. gomapleak attaches, watches (default, then --exact), detaches,
and the server keeps serving the same answers with its code unprobed.
Usage: test_thirdparty.py
"""
import json
import os
import socket
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import gml

PROMETHEUS = "/usr/bin/prometheus"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


class QueryLoad(threading.Thread):
    """Queries the server without pause until stopped; counts answers and failures."""

    def __init__(self, base):
        super().__init__(daemon=True)
        self.url = base + "/api/v1/query?" + urllib.parse.urlencode(
            {"query": "sum by (job) (rate(prometheus_http_requests_total[5s]))"})
        self.stopped = threading.Event()
        self.answers = self.failures = 0

    def run(self):
        while not self.stopped.is_set():
            try:
                status, body = get(self.url)
                ok = status == 200 and json.loads(body)["status"] == "success"
            except (OSError, ValueError):
                ok = False
            self.answers += ok
            self.failures += not ok

    def stop(self):
        self.stopped.set()
        self.join(10)


class ThirdParty(gml.TargetTestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="gomapleak-thirdparty-")
        self.addCleanup(self.tmp.cleanup)
        port = free_port()
        self.base = "http://127.0.0.1:%d" % port
        config = os.path.join(self.tmp.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 100ms\n  scrape_timeout: 100ms\n"
                    "scrape_configs:\n  - job_name: self\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % port)
        self.server = gml.Process([PROMETHEUS, "--config.file=" + config,
                                   "--storage.tsdb.path=" + os.path.join(self.tmp.name, "tsdb"),
                                   "--web.listen-address=127.0.0.1:%d" % port], stdin=False)
        self.procs.append(self.server)
        self.wait_ready()

    def wait_ready(self, timeout=60.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if get(self.base + "/-/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.fail("prometheus never became ready")

    def scrapes(self, seconds):
        """How many times the server scraped itself over the last seconds."""
        q = urllib.parse.urlencode({"query": "count_over_time(up{job='self'}[%ds])" % seconds})
        result = json.loads(get(self.base + "/api/v1/query?" + q)[1])["data"]["result"]
        return int(result[0]["value"][1]) if result else 0

    def watch(self, *args, seconds):
        w = gml.start_watch(self.server.pid, "--json", "--duration", str(seconds), *args,
                            command="watch")
        self.procs.append(w)
        self.assertEqual(w.wait(seconds + 60), 0, w.err.rest())
        out = [json.loads(l) for l in w.out.rest()]
        self.assertTrue(all(e["event"] in ("alert", "summary", "error") for e in out), out)
        self.assertFalse([e for e in out if e["event"] == "error"], out)
        (summary,) = [e for e in out if e["event"] == "summary"]
        self.assertGreater(summary["events"], 0, summary)  # its maps were traced
        self.assertEqual(summary["events_lost"], 0, summary)
        return out

    def test_traced_and_detached_it_serves_the_same(self):
        load = QueryLoad(self.base)
        load.start()
        try:
            time.sleep(2)
            self.watch(seconds=8)
            self.watch("--exact", seconds=3)
            # Detached: no breakpoint left in its code.
            self.assertEqual(gml.text_changes(self.server.pid), [])
            time.sleep(1)
        finally:
            load.stop()
        self.assertIsNone(self.server.p.poll())
        self.assertEqual(get(self.base + "/-/healthy")[0], 200)
        self.assertEqual(load.failures, 0)
        self.assertGreater(load.answers, 100)
        # It kept scraping itself while traced: ~10 a second over the 12 s (a
        # stall of more than a few seconds would show here).
        self.assertGreater(self.scrapes(12), 60)
        up = json.loads(get(self.base + "/api/v1/query?query=up")[1])["data"]["result"]
        self.assertEqual([r["value"][1] for r in up], ["1"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
