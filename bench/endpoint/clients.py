#!/usr/bin/env python3
"""Hostile and normal clients for bench/endpoint/run, against 127.0.0.1 only.

Every mode is bounded in connections, bytes and time, and prints one `key=value ...` result
line (the run script parses it):

  slowloris  N connections that each send a partial request head, then one more header byte a
             second; a connection the server closes is reopened (until --seconds is up), as a
             real attacker would. Prints "ready ..." once the first N are open.
  scrape     COUNT sequential GET /metrics, each on a new connection (the stricter case: the
             server must also accept it), --interval apart, timing connect to last body byte.
  post-flood one chunked POST of --mib MiB to /metrics.
  header-flood one request whose header line is --mib MiB long.
  conn-flood N connections opened at once, held --hold seconds, sending nothing; with
             --request each sends GET /metrics and never reads the response (slow readers,
             receive buffers set to 4 KiB), which makes the server hold the bodies it renders.

The floods take --pid to sample the server's VmRSS (/proc/<pid>/status) every 10 ms: before
(just before the flood), peak (during) and after (1 s after the client has closed everything).
"""

import argparse
import errno
import resource
import selectors
import signal
import socket
import sys
import threading
import time

HOST = "127.0.0.1"


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """VmRSS of one process: before (at construction), peak (sampled every 10 ms), after."""

    def __init__(self, pid):
        self.pid = pid
        self.before = vm_rss_kib(pid)
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.01):
            try:
                self.peak = max(self.peak, vm_rss_kib(self.pid))
            except OSError:
                return

    def finish(self):
        time.sleep(1.0)
        self._stop.set()
        self._thread.join()
        after = vm_rss_kib(self.pid)
        self.peak = max(self.peak, after)
        return (f"rss_before_mb={self.before / 1024:.1f} rss_peak_mb={self.peak / 1024:.1f} "
                f"rss_after_mb={after / 1024:.1f} rss_growth_mb={(self.peak - self.before) / 1024:.1f}")


def status_of(data):
    """The status code of an HTTP response's first bytes, or 'none'."""
    if data.startswith(b"HTTP/"):
        parts = data.split(b" ", 2)
        if len(parts) >= 2:
            return parts[1].decode(errors="replace")
    return "none"


def http_get(port, timeout):
    """One GET /metrics on a new connection; returns (seconds, status, body_bytes, error)."""
    start = time.perf_counter()
    deadline = start + timeout
    try:
        s = socket.create_connection((HOST, port), timeout=timeout)
    except OSError as e:
        return time.perf_counter() - start, "none", 0, f"connect:{errno.errorcode.get(e.errno, e)}"
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = bytearray()
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                return time.perf_counter() - start, status_of(bytes(data)), len(data), "timeout"
            s.settimeout(left)
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = bytes(data).partition(b"\r\n\r\n")
        st = status_of(head)
        err = "" if st == "200" else ("closed" if not data else f"status:{st}")
        return time.perf_counter() - start, st, len(body), err
    except socket.timeout:
        return time.perf_counter() - start, "none", 0, "timeout"
    except OSError as e:
        return time.perf_counter() - start, "none", 0, f"{errno.errorcode.get(e.errno, e)}"
    finally:
        s.close()


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def cmd_scrape(a):
    lat, failures, reasons, bodies = [], 0, {}, set()
    begin = time.monotonic()
    attempted = 0
    for _ in range(a.count):
        if time.monotonic() - begin > a.budget:
            break
        if attempted and a.interval:
            time.sleep(a.interval)
        attempted += 1
        secs, _st, body, err = http_get(a.port, a.timeout)
        if err:
            failures += 1
            reasons[err] = reasons.get(err, 0) + 1
        else:
            lat.append(secs * 1000)
            bodies.add(body)
    lat.sort()
    not_attempted = a.count - attempted
    why = ",".join(f"{k}:{v}" for k, v in sorted(reasons.items())) or "-"
    print(f"scrapes={a.count} ok={len(lat)} failed={failures} not_attempted={not_attempted} "
          f"p50_ms={percentile(lat, 50):.2f} p99_ms={percentile(lat, 99):.2f} "
          f"max_ms={(lat[-1] if lat else float('nan')):.2f} "
          f"body_bytes={','.join(map(str, sorted(bodies))) or '-'} failures={why} "
          f"seconds={time.monotonic() - begin:.1f}", flush=True)


def open_nonblocking(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    rc = s.connect_ex((HOST, port))
    if rc not in (0, errno.EINPROGRESS):
        s.close()
        return None
    return s


def cmd_slowloris(a):
    raise_fd_limit()
    sel = selectors.DefaultSelector()
    head = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    stats = {"opened": 0, "connect_failed": 0, "closed_by_server": 0, "answered": 0}
    answers = {}
    first_close = None
    begin = time.monotonic()
    end = begin + a.seconds
    conns = {}  # socket -> state: "connecting" | "open"

    def open_one():
        s = open_nonblocking(a.port)
        if s is None:
            stats["connect_failed"] += 1
            return
        conns[s] = "connecting"
        sel.register(s, selectors.EVENT_WRITE)

    def drop(s):
        sel.unregister(s)
        del conns[s]
        s.close()

    for _ in range(a.connections):
        open_one()
    ready_printed = False
    next_dribble = time.monotonic() + 1.0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while time.monotonic() < end and not stop:
        for key, ev in sel.select(timeout=0.05):
            s = key.fileobj
            if conns.get(s) == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    stats["connect_failed"] += 1
                    drop(s)
                    continue
                try:
                    s.send(head)
                except OSError:
                    stats["closed_by_server"] += 1
                    drop(s)
                    continue
                conns[s] = "open"
                stats["opened"] += 1
                sel.modify(s, selectors.EVENT_READ)
            elif ev & selectors.EVENT_READ:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:
                    st = status_of(data)
                    answers[st] = answers.get(st, 0) + 1
                    stats["answered"] += 1
                stats["closed_by_server"] += 1
                if first_close is None:
                    first_close = time.monotonic() - begin
                drop(s)
        open_now = sum(1 for v in conns.values() if v == "open")
        resolved = stats["opened"] + stats["connect_failed"] >= a.connections
        if not ready_printed and (resolved or time.monotonic() - begin > a.ready_after):
            print(f"ready open={open_now} after_s={time.monotonic() - begin:.1f}", flush=True)
            ready_printed = True
        if time.monotonic() >= next_dribble:
            next_dribble += 1.0
            for s, st in list(conns.items()):
                if st == "open":
                    try:
                        s.send(b"a")
                    except OSError:
                        stats["closed_by_server"] += 1
                        drop(s)
            # Reopen what the server closed, to hold the count (bounded: one batch a second).
            if a.reopen:
                for _ in range(a.connections - len(conns)):
                    open_one()
    open_at_end = sum(1 for v in conns.values() if v == "open")
    for s in list(conns):
        drop(s)
    fc = f"{first_close:.1f}" if first_close is not None else "-"
    ans = ",".join(f"{k}:{v}" for k, v in sorted(answers.items())) or "-"
    print(f"slowloris connections={a.connections} opened={stats['opened']} "
          f"connect_failed={stats['connect_failed']} closed_by_server={stats['closed_by_server']} "
          f"answers={ans} first_close_s={fc} open_at_end={open_at_end}", flush=True)


def send_until_refused(s, chunks, deadline):
    """Sends chunks while the server reads; returns (bytes_sent, response_bytes, how_it_ended)."""
    sent = 0
    response = bytearray()
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    pending = b""
    stalled_since = None
    try:
        while time.monotonic() < deadline:
            events = sel.select(timeout=0.2)
            if not events:
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since > 5:
                    return sent, bytes(response), "server stopped reading (5 s)"
                continue
            for _key, ev in events:
                if ev & selectors.EVENT_READ:
                    try:
                        data = s.recv(65536)
                    except OSError as e:
                        return sent, bytes(response), f"reset ({errno.errorcode.get(e.errno, e)})"
                    if not data:
                        return sent, bytes(response), "closed"
                    response += data
                    sel.modify(s, selectors.EVENT_READ)  # answered: stop sending, read the rest
                    pending = None
                if ev & selectors.EVENT_WRITE and pending is not None:
                    if not pending:
                        pending = next(chunks, None)
                        if pending is None:
                            sel.modify(s, selectors.EVENT_READ)
                            continue
                    try:
                        n = s.send(pending)
                    except BlockingIOError:
                        n = 0
                    except OSError as e:
                        return sent, bytes(response), f"reset ({errno.errorcode.get(e.errno, e)})"
                    if n:
                        stalled_since = None
                    sent += n
                    pending = pending[n:]
        return sent, bytes(response), "time limit"
    finally:
        sel.close()


def flood(a, first, piece, count, last):
    raise_fd_limit()
    rss = RssSampler(a.pid)
    begin = time.monotonic()
    s = socket.create_connection((HOST, a.port), timeout=5)

    def chunks():
        yield first
        for _ in range(count):
            yield piece
        yield last

    sent, response, ended = send_until_refused(s, chunks(), begin + a.seconds)
    s.close()
    took = time.monotonic() - begin
    mem = rss.finish()
    print(f"sent_mb={sent / 2**20:.2f} status={status_of(response)} ended=\"{ended}\" "
          f"seconds={took:.1f} {mem}", flush=True)


def cmd_post_flood(a):
    chunk = 64 * 1024
    data = b"a" * chunk
    piece = f"{chunk:x}\r\n".encode() + data + b"\r\n"
    first = (b"POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
             b"Content-Type: application/octet-stream\r\n\r\n")
    flood(a, first, piece, a.mib * 2**20 // chunk, b"0\r\n\r\n")


def cmd_header_flood(a):
    piece = b"a" * (64 * 1024)
    first = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
    flood(a, first, piece, a.mib * 2**20 // len(piece), b"\r\n\r\n")


def cmd_conn_flood(a):
    raise_fd_limit()
    rss = RssSampler(a.pid)
    begin = time.monotonic()
    conns = []
    for _ in range(a.connections):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if a.request:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
        c.setblocking(False)
        if c.connect_ex((HOST, a.port)) in (0, errno.EINPROGRESS):
            conns.append(c)
        else:
            c.close()
    connect_failed = a.connections - len(conns)
    requested = 0
    if a.request:
        # Send each request once its connect completes (bounded: 5 s for all).
        pending = set(conns)
        wsel = selectors.DefaultSelector()
        for c in conns:
            wsel.register(c, selectors.EVENT_WRITE)
        send_end = time.monotonic() + 5
        while pending and time.monotonic() < send_end:
            for key, _ev in wsel.select(timeout=0.1):
                c = key.fileobj
                wsel.unregister(c)
                pending.discard(c)
                try:
                    c.send(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    requested += 1
                except OSError:
                    pass
        wsel.close()
    sel = selectors.DefaultSelector()
    if not a.request:  # slow readers never read; their closes are not watched
        for c in conns:
            sel.register(c, selectors.EVENT_READ)
    closed, answered = 0, {}
    # One normal scrape a second into the flood: does the server still answer while flooded?
    scrape = None
    end = time.monotonic() + a.hold
    while time.monotonic() < end:
        if scrape is None and time.monotonic() - begin > 1.0:
            secs, st, _body, err = http_get(a.port, 2.0)
            scrape = f"{st}{'/' + err if err else ''}/{secs * 1000:.0f}ms"
        if not a.request:
            events = sel.select(timeout=0.05)
        else:
            time.sleep(0.05)
            events = []
        for key, _ev in events:
            c = key.fileobj
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            if data:
                st = status_of(data)
                answered[st] = answered.get(st, 0) + 1
            closed += 1
            sel.unregister(c)
    for c in conns:
        c.close()
    mem = rss.finish()
    ans = ",".join(f"{k}:{v}" for k, v in sorted(answered.items())) or "-"
    print(f"connections={a.connections} connect_failed={connect_failed} requested={requested} "
          f"closed_by_server={closed} answers={ans} scrape_during={scrape} {mem}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("slowloris")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--connections", type=int, default=1000)
    s.add_argument("--seconds", type=float, default=30)
    s.add_argument("--no-reopen", dest="reopen", action="store_false")
    s.add_argument("--ready-after", type=float, default=10,
                   help="print the ready line by then even if connects are still pending")
    s = sub.add_parser("scrape")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--count", type=int, default=200)
    s.add_argument("--timeout", type=float, default=2.0, help="per scrape, seconds")
    s.add_argument("--budget", type=float, default=30.0, help="for all scrapes, seconds")
    s.add_argument("--interval", type=float, default=0.0, help="pause between scrapes, seconds")
    for name in ("post-flood", "header-flood"):
        s = sub.add_parser(name)
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--pid", type=int, required=True)
        s.add_argument("--mib", type=int, required=True)
        s.add_argument("--seconds", type=float, default=60)
    s = sub.add_parser("conn-flood")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--connections", type=int, default=2000)
    s.add_argument("--hold", type=float, default=5)
    s.add_argument("--request", action="store_true",
                   help="send GET /metrics on each and never read (slow readers)")
    a = p.parse_args()
    limits = {"connections": 5000, "count": 10000, "seconds": 300, "hold": 60, "mib": 1024,
              "interval": 10, "budget": 600}
    for k, v in limits.items():
        if getattr(a, k, 0) > v:
            sys.exit(f"clients.py: --{k} above {v}")
    {"slowloris": cmd_slowloris, "scrape": cmd_scrape, "post-flood": cmd_post_flood,
     "header-flood": cmd_header_flood, "conn-flood": cmd_conn_flood}[a.cmd](a)


if __name__ == "__main__":
    main()
