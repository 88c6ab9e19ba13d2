#!/usr/bin/env python3
"""Time from a keystroke to fresh diagnostics in `relc lsp`, as an editor sees it.

    benches/lsp_keystroke.py RELC FILE.release [EDITS]

Opens FILE, then EDITS times (default 50) types one character at the end of
its first line and deletes it again, each as a full-text didChange, and waits
for the publishDiagnostics of that version. Prints the median and the 90th
percentile in milliseconds. Needs only Python's standard library.
"""
import json, statistics, subprocess, sys, time, pathlib

relc, path = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
edits = int(sys.argv[3]) if len(sys.argv) > 3 else 50
p = subprocess.Popen([relc, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

def send(msg):
    body = json.dumps(msg).encode()
    p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    p.stdin.flush()

def receive():
    length = 0
    while True:
        line = p.stdout.readline().decode().strip()
        if not line:
            break
        if line.lower().startswith("content-length:"):
            length = int(line.split(":")[1])
    return json.loads(p.stdout.read(length))

def wait_diagnostics(version):
    while True:
        m = receive()
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == version:
            return m

send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}})
while receive().get("id") != 1:
    pass
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
uri = path.as_uri()
text = path.read_text()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
      "params": {"textDocument": {"uri": uri, "languageId": "release", "version": 1, "text": text}}})
wait_diagnostics(1)
first_line_end = text.index("\n")
times = []
for i in range(edits):
    version = i + 2
    changed = text[:first_line_end] + (" " if i % 2 == 0 else "") + text[first_line_end:]
    t0 = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange",
          "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": changed}]}})
    wait_diagnostics(version)
    times.append((time.perf_counter() - t0) * 1000)
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
send({"jsonrpc": "2.0", "method": "exit"})
p.wait()
times.sort()
lines = text.count("\n")
print(f"{lines} lines: median {statistics.median(times):.1f} ms, p90 {times[int(len(times) * 0.9)]:.1f} ms over {edits} edits")
