"""Fan-out benchmark of the flask-websub 0.4.1 hub (the baseline for the bridge's own hub,
issue 4 item 8): ONE entry pushed to N loopback subscribers, each with its own secret.

    tests/interop/websub/setup.sh
    tests/interop/websub/.venv/bin/python tests/interop/websub/bench_fanout.py --n 10000

What it does, all on 127.0.0.1:
  1. starts hub.py (flask-websub's hub, Celery eager mode, Werkzeug threaded server) as a
     child process, exactly as the interop tests run it;
  2. starts one subscriber process (asyncio, HTTP/1.1 keep-alive) that serves N callback
     paths /cb/<i> and the topic /topic (an Atom feed of one entry, with the Link headers
     for hub and self that flask-websub requires); it answers each verification GET with its
     challenge, and checks each push's X-Hub-Signature (HMAC over the body with the secret
     of that path) before counting it;
  3. subscribes the N callbacks (hub.secret = a distinct secret each; the hub verifies each
     one with a GET before the subscribe request returns, eager mode);
  4. times one `hub.mode=publish` ping: from sending it until the subscriber has counted N
     pushes with a valid signature. pushes/s = N / that time.

Subscription time is reported but not part of the figure. Prints one JSON line at the end.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import requests

HERE = os.path.dirname(os.path.abspath(__file__))

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:activity="http://activitystrea.ms/spec/1.0/">
 <id>{topic}</id>
 <title>bench timeline</title>
 <updated>2026-01-01T00:00:00Z</updated>
 <author><name>bench</name><uri>http://127.0.0.1/user/1</uri></author>
 <link rel="hub" href="{hub}"/>
 <link rel="self" type="application/atom+xml" href="{topic}"/>
 <entry>
  <id>tag:127.0.0.1,2026-01-01:noticeId=1:objectType=note</id>
  <title>New note by bench</title>
  <content type="html">{text}</content>
  <activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>
  <activity:object-type>http://activitystrea.ms/schema/1.0/note</activity:object-type>
  <published>2026-01-01T00:00:00Z</published>
  <updated>2026-01-01T00:00:00Z</updated>
 </entry>
</feed>
"""


def secret_for(i):
    return "secret-%d-%s" % (i, hashlib.sha1(b"%d" % i).hexdigest()[:16])


def subscriber_main(port_out, count, bad, hub_url, algo):
    """The N callbacks and the topic, in one asyncio process."""

    body_holder = {}

    async def handle(reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                n = int(headers.get("content-length", "0") or 0)
                body = await reader.readexactly(n) if n else b""
                path, _, query = target.partition("?")
                extra = b""
                if method == "GET" and path == "/topic":
                    out = body_holder["feed"]
                    extra = (
                        b"Content-Type: application/atom+xml; charset=utf-8\r\n"
                        + b"Link: " + body_holder["link"] + b"\r\n"
                    )
                    status = b"200 OK"
                elif method == "GET" and path.startswith("/cb/"):
                    q = urllib.parse.parse_qs(query)
                    out = q.get("hub.challenge", [""])[0].encode()
                    status = b"200 OK"
                elif method == "POST" and path.startswith("/cb/"):
                    i = int(path[4:])
                    want = algo + "=" + hmac.new(
                        secret_for(i).encode(), body, getattr(hashlib, algo)
                    ).hexdigest()
                    sig = headers.get("x-hub-signature", "")
                    if hmac.compare_digest(sig.lower(), want):
                        with count.get_lock():
                            count.value += 1
                    else:
                        with bad.get_lock():
                            bad.value += 1
                    out = b""
                    status = b"200 OK"
                else:
                    out = b"not found"
                    status = b"404 Not Found"
                keep = headers.get("connection", "").lower() != "close"
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\n" + extra
                    + b"Content-Length: " + str(len(out)).encode() + b"\r\n"
                    + (b"" if keep else b"Connection: close\r\n") + b"\r\n" + out
                )
                await writer.drain()
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def run():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        port = server.sockets[0].getsockname()[1]
        topic = "http://127.0.0.1:%d/topic" % port
        body_holder["feed"] = FEED.format(
            topic=topic, hub=hub_url, text="one entry for every subscriber " * 8
        ).encode()
        body_holder["link"] = ('<%s>; rel="hub", <%s>; rel="self"' % (hub_url, topic)).encode()
        port_out.send(port)
        async with server:
            await server.serve_forever()

    asyncio.run(run())


def start_hub(algo):
    env = dict(os.environ, PORT="0", STDIN_WATCH="1", HUB_SIGNATURE_ALGORITHM=algo)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "hub.py")],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("READY "):
        raise SystemExit("hub did not start: %r" % line)
    return proc, int(line.split()[1])


def cpu_seconds(pid):
    """utime + stime of a process (Linux /proc), to report the hub's own CPU cost of the
    fan-out, which stays meaningful on a shared machine where wall time does not."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000, help="subscribers")
    ap.add_argument("--algo", default="sha512", help="hub signature algorithm")
    ap.add_argument("--subscribe-threads", type=int, default=8)
    args = ap.parse_args()

    hub_proc, hub_port = start_hub(args.algo)
    hub_url = "http://127.0.0.1:%d/hub" % hub_port
    count = mp.Value("l", 0)
    bad = mp.Value("l", 0)
    parent, child = mp.Pipe()
    sub = mp.Process(target=subscriber_main, args=(child, count, bad, hub_url, args.algo), daemon=True)
    sub.start()
    port = parent.recv()
    base = "http://127.0.0.1:%d" % port
    topic = base + "/topic"

    local = threading.local()

    def session():
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
        return s

    def subscribe(i):
        r = session().post(
            hub_url,
            data={
                "hub.mode": "subscribe",
                "hub.topic": topic,
                "hub.callback": "%s/cb/%d" % (base, i),
                "hub.secret": secret_for(i),
            },
            timeout=60,
        )
        return r.status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.subscribe_threads) as pool:
        statuses = list(pool.map(subscribe, range(args.n)))
    sub_secs = time.perf_counter() - t0
    assert all(s == 202 for s in statuses), set(statuses)
    stored = len(requests.get("http://127.0.0.1:%d/_control/subscriptions" % hub_port).json())
    assert stored == args.n, (stored, args.n)

    load = os.getloadavg()[0]
    cpu0 = cpu_seconds(hub_proc.pid)
    t1 = time.perf_counter()
    r = requests.post(hub_url, data={"hub.mode": "publish", "hub.topic": topic}, timeout=3600)
    assert r.status_code == 202, r.status_code
    deadline = time.perf_counter() + 600
    while count.value + bad.value < args.n and time.perf_counter() < deadline:
        time.sleep(0.005)
    secs = time.perf_counter() - t1
    hub_cpu = cpu_seconds(hub_proc.pid) - cpu0
    errors = requests.get("http://127.0.0.1:%d/_control/errors" % hub_port).json()
    hub_proc.terminate()
    hub_proc.wait()
    sub.terminate()
    result = {
        "hub": "flask-websub 0.4.1 (Celery eager, Werkzeug threaded)",
        "subscribers": args.n,
        "algo": args.algo,
        "valid_pushes": count.value,
        "bad_signatures": bad.value,
        "subscribe_seconds": round(sub_secs, 2),
        "fanout_seconds": round(secs, 3),
        "pushes_per_second": round(count.value / secs, 1),
        "hub_cpu_seconds": round(hub_cpu, 2),
        "pushes_per_hub_cpu_second": round(count.value / hub_cpu, 1) if hub_cpu else None,
        "load_average_at_publish": round(load, 2),
        "hub_errors": errors,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    print(json.dumps(result))
    if count.value != args.n:
        raise SystemExit("only %d of %d pushes arrived" % (count.value, args.n))


if __name__ == "__main__":
    main()
