#!/usr/bin/env python3
"""User-space instructions one relay worker spends per keep-alive exchange (1 KiB bodies unless
--body says), counted by callgrind: a measure of the per-request path that, unlike CPU time on a
shared 2-core machine, hardly moves from run to run (runs of one build agree within 0.2 % for a single relay, within
3 % for a chain's middle relay, whose reads and wake-ups follow the relays around it).

    python3 tools/exchange_instructions.py                  # one copy-mode relay, 3 000 requests
    python3 tools/exchange_instructions.py --chain-middle   # the middle relay of a chain of 3
    python3 tools/exchange_instructions.py --binary /tmp/other/odb-redirect --top 40
    python3 tools/exchange_instructions.py --mode kernel --body 65536   # a kernel-path body's setup

Starts the built-in origin and a relay of one worker (copy mode unless --mode says) under
`valgrind --tool=callgrind` (with --chain-middle, natively run relays in front of it and behind
it, so its heads carry what a relay adds). A keep-alive client GETs /bytes/1024 1 000 times to
warm up, the counts are zeroed, REQUESTS more are made, and the counts are dumped. Prints one
JSON line: instructions per request and the functions with the most instructions of their own.
Needs valgrind; Valgrind 3.19 cannot read the debug information of Swift binaries, so a copy
stripped of it (`strip -g`) runs. Kernel work (system calls, the network stack) is not counted.
Run as root from the repository's top directory (docs/PERFORMANCE.md §14).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile

from ports import free_port, wait_for_port
from relay_config import write_single_route


def fetch(port, count, body):
    """`count` keep-alive GETs of `body` bytes with a curl-like head; each body's length is checked."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(count):
        connection.request("GET", f"/bytes/{body}", headers={"User-Agent": "curl/8.5.0", "Accept": "*/*"})
        response = connection.getresponse()
        if response.status != 200 or len(response.read()) != body:
            raise SystemExit(f"bad answer through 127.0.0.1:{port}: {response.status}")
    connection.close()


def self_costs(dump, requests, top):
    """The `top` functions by their own instructions per request, demangled where swift can."""
    annotated = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", dump],
                               capture_output=True, text=True, check=True).stdout
    if shutil.which("swift"):
        annotated = subprocess.run(["swift", "demangle", "--simplified"], input=annotated,
                                   capture_output=True, text=True, check=True).stdout
    rows = []
    for line in annotated.splitlines():
        match = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?)(?: \[[^\]]*\])?$", line)
        if match and "PROGRAM TOTALS" not in line:
            # "???:name" without debug information, "./path/file.c:name" with it.
            name = re.sub(r"^(\?\?\?|\.?/\S*?):", "", match.group(2).strip())
            rows.append((int(match.group(1).replace(",", "")), name))
    threads = {"clone", "start_thread", "NSThreadStart", "Thread.main()", "Worker.run()", "Relay.run"}
    rows = [(count, name) for count, name in rows if not any(marker in name for marker in threads)]
    return [{"function": name, "instructions_per_request": round(count / requests)} for count, name in rows[:top]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=".build/release/odb-redirect")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--chain-middle", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--mode", default="copy", help="the measured relay's mode (1 KiB bodies are copied in any)")
    parser.add_argument("--body", type=int, default=1024, help="bytes per response body")
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate", "strip"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found (apt-get install valgrind binutils)")

    workdir = tempfile.mkdtemp(prefix="exchange-instructions-")
    stripped = os.path.join(workdir, "odb-redirect")
    shutil.copy(args.binary, stripped)
    subprocess.run(["strip", "-g", stripped], check=True)
    pin = f"/sys/fs/bpf/odb-exchange-instructions-{os.getpid()}"
    processes = []
    try:
        origin_port = free_port()
        processes.append(subprocess.Popen([args.binary, "origin", "--listen", f"127.0.0.1:{origin_port}"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_port(origin_port)
        measured_port, upstream_port = free_port(), origin_port
        if args.chain_middle:
            last_port = free_port()
            write_single_route(os.path.join(workdir, "last.yaml"), f"127.0.0.1:{last_port}", f"127.0.0.1:{origin_port}", "copy",
                               pin + "-last", workers=2)
            processes.append(subprocess.Popen([args.binary, "relay", "--config", os.path.join(workdir, "last.yaml")],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            upstream_port = last_port
        write_single_route(os.path.join(workdir, "measured.yaml"), f"127.0.0.1:{measured_port}", f"127.0.0.1:{upstream_port}",
                           args.mode, pin + "-measured", workers=1)
        measured = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={workdir}/callgrind.out",
                                     stripped, "relay", "--config", os.path.join(workdir, "measured.yaml")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(measured)
        entry_port = measured_port
        if args.chain_middle:
            entry_port = free_port()
            write_single_route(os.path.join(workdir, "first.yaml"), f"127.0.0.1:{entry_port}", f"127.0.0.1:{measured_port}", "copy",
                               pin + "-first", workers=2)
            processes.append(subprocess.Popen([args.binary, "relay", "--config", os.path.join(workdir, "first.yaml")],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in {measured_port, entry_port}:
            wait_for_port(port, seconds=180)
        fetch(entry_port, 1000, args.body)
        subprocess.run(["callgrind_control", "-z", str(measured.pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fetch(entry_port, args.requests, args.body)
        subprocess.run(["callgrind_control", "-d", str(measured.pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dumps = sorted((name for name in os.listdir(workdir) if name.startswith("callgrind.out.")),
                       key=lambda name: os.path.getmtime(os.path.join(workdir, name)))
        dump = os.path.join(workdir, dumps[-1])
        with open(dump) as file:
            totals = next(line for line in file if line.startswith("summary:"))
        instructions = int(totals.split()[1])
        print(json.dumps({"requests": args.requests, "relay": "chain middle" if args.chain_middle else "single", "mode": args.mode,
                          "body": args.body,
                          "instructions_per_request": round(instructions / args.requests),
                          "top": self_costs(dump, args.requests, args.top)}))
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
