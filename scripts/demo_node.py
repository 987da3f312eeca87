#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Node mode, shown: `gomapleak watch --all --prometheus` on three Go services of three
toolchains (two leaking: `orders`, Go 1.19 classic maps, and `sessions`, Go 1.26 Swiss maps,
both stripped PIE; `billing`, Go 1.23, not) and the Prometheus server scraping it (a Go
program too). `orders` is restarted half-way; then Prometheus is asked for every process's
series. Prints gomapleak's lines as they come, then the queries' answers. The README's
node-mode session is its output. Run as root, after the targets are built (the README's test
command builds them). Usage: scripts/demo_node.py [GOMAPLEAK]
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
GOMAPLEAK = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "gomapleak")
TARGETS = os.path.join(os.environ.get("GOMAPLEAK_CACHE", "/var/cache/gomapleak"), "targets")
PROM_PORT = 19090


def service(folder, variant, flavor, target, name, *args):
    """A copy of a test target under a name of its own (its comm), started; waits for it."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        shutil.copy(os.path.join(TARGETS, variant, flavor, target), path)
    p = subprocess.Popen([path, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    while p.stdout.readline().strip() != "ready":
        pass
    return p


def echo(stream):
    """Prints a stream's lines as they come, from a thread of its own."""
    def pump():
        for line in stream:
            print(line, end="", flush=True)
    t = threading.Thread(target=pump, daemon=True)
    t.start()
    return t


def query(query):
    """A PromQL query's vector, once it has one."""
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (PROM_PORT, urllib.parse.urlencode({"query": query}))
    for _ in range(60):
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                result = json.load(r)["data"]["result"]
            if result:
                return result
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit("demo_node: Prometheus never answered %r" % query)


def main():
    started = []
    folder = tempfile.mkdtemp(prefix="gml-demo-")
    os.chmod(folder, 0o755)
    try:
        orders = service(folder, "go1.19", "stripped-pie", "leaks", "orders", "-modes", "cache")
        started += [orders, service(folder, "go1.26", "stripped-pie", "leaks", "sessions", "-modes",
                                    "cache"), service(folder, "go1.23", "default", "mapops", "billing")]
        argv = [GOMAPLEAK, "watch", "--all", "--prometheus", "127.0.0.1:9464", "-i", "1",
                "--window", "5"]
        print("$ " + " ".join(["gomapleak"] + argv[1:]), flush=True)
        watch = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(watch)
        pump = echo(watch.stdout)
        with open(os.path.join(folder, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n"
                    "  - job_name: gomapleak\n    static_configs: [{targets: ['127.0.0.1:9464']}]\n")
        started.append(subprocess.Popen(
            ["prometheus", "--config.file=" + os.path.join(folder, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(folder, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % PROM_PORT],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(32)
        orders.kill()  # a restart: the old pid goes, the new one is watched
        orders.wait()
        time.sleep(2)
        started.append(service(folder, "go1.19", "stripped-pie", "leaks", "orders", "-modes", "cache"))
        time.sleep(25)
        answers = {q: query(q) for q in ('sum by (pid, comm) (gomapleak_alerts_total{state="LEAK"})',
                                         "sum by (pid, comm) (rate(gomapleak_map_grows_total[30s]))")}
        watch.send_signal(signal.SIGINT)
        watch.wait(30)
        pump.join(10)
        for q, result in answers.items():
            print("\n" + q)
            for r in sorted(result, key=lambda r: (r["metric"].get("comm", ""), r["metric"].get("pid", ""))):
                print("  %s %s" % (json.dumps(r["metric"], sort_keys=True), r["value"][1]))
    finally:
        for p in started:  # only what this script started, by PID
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
