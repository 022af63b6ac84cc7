"""Benchmark: which S3 client for s3:// storage, boto3 or minio-py (both on PyPI).

Against a real S3 API server (moto's server mode, started here on a free port, or --endpoint),
each client in a fresh process: import time, resident memory after import and after the run,
and the wall time (and the client's own CPU time) to put then get N page-sized objects (a
600 KB blob each, the size of a 200-dpi grey page as the split stores it), one at a time as
the worker does.

    python bench/bench_s3_clients.py [--objects 100] [--size 600000] [--rounds 3] [--json]

Clients: `boto3` with its defaults, `sohoa` (boto3 through storage_s3.S3Storage, as the workers
use it: SHA-256 checksums sent, path-style, retries), `minio` (minio-py). minio is not a
dependency of sohoa: install it to run this (pip install minio).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ACCESS, SECRET, REGION = "bench", "bench-secret", "us-east-1"
ROOT = Path(__file__).resolve().parents[1]


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(client_name: str, endpoint: str, bucket: str, n: int, size: int) -> None:
    """One client in this fresh process: import, then put and get n objects one at a time."""
    t0 = time.perf_counter()
    put: Callable[[str, bytes], None]
    get: Callable[[str], bytes]
    if client_name == "boto3":
        import boto3
        from botocore.config import Config

        t_import = time.perf_counter() - t0
        s3 = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS,
            aws_secret_access_key=SECRET,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
        )
        s3.create_bucket(Bucket=bucket)

        def put(key: str, data: bytes) -> None:
            s3.put_object(Bucket=bucket, Key=key, Body=data)

        def get(key: str) -> bytes:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()
    elif client_name == "sohoa":  # boto3 as storage_s3.S3Storage uses it (SHA-256 sent)
        from ocr_service.storage_s3 import S3Storage, make_client

        t_import = time.perf_counter() - t0
        options = (
            ("endpoint_url", endpoint),
            ("region_name", REGION),
            ("aws_access_key_id", ACCESS),
            ("aws_secret_access_key", SECRET),
        )
        store = S3Storage(bucket, "", make_client(options), endpoint=endpoint)
        store.client.create_bucket(Bucket=bucket)
        put, get = store.put_bytes, store.get_bytes
    else:
        from minio import Minio

        t_import = time.perf_counter() - t0
        mc = Minio(
            endpoint.split("://", 1)[1],
            access_key=ACCESS,
            secret_key=SECRET,
            secure=False,
            region=REGION,
        )
        mc.make_bucket(bucket)

        def put(key: str, data: bytes) -> None:
            mc.put_object(bucket, key, io.BytesIO(data), len(data))

        def get(key: str) -> bytes:
            r = mc.get_object(bucket, key)
            try:
                return bytes(r.read())
            finally:
                r.close()
                r.release_conn()

    rss_import = rss_mib()
    data = os.urandom(size)
    t, c = time.perf_counter(), time.process_time()
    for i in range(n):
        put(f"pages/bench/{i:05d}.jpg", data)
    t_put, c_put = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    for i in range(n):
        assert len(get(f"pages/bench/{i:05d}.jpg")) == size
    t_get, c_get = time.perf_counter() - t, time.process_time() - c
    doc = {
        "import_s": t_import,
        "rss_import_mib": rss_import,
        "put_s": t_put,
        "get_s": t_get,
        # The client's own CPU time: what it costs a worker, whatever the server's speed.
        "put_cpu_s": c_put,
        "get_cpu_s": c_get,
        "rss_end_mib": rss_mib(),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(doc))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto server did not start")


def run_one(client: str, endpoint: str, objects: int, size: int) -> dict[str, float]:
    bucket = f"bench-{client}-{uuid.uuid4().hex[:8]}"
    out = subprocess.run(
        [sys.executable, __file__, "--child", client, endpoint, bucket, str(objects), str(size)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)},
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) == 7 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", type=int, default=100)
    ap.add_argument("--size", type=int, default=600_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--endpoint", default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    proc = None
    endpoint = args.endpoint
    if endpoint is None:
        proc, endpoint = start_moto()
    try:
        runs: dict[str, list[dict[str, float]]] = {"boto3": [], "sohoa": [], "minio": []}
        for _ in range(args.rounds):
            for client in runs:  # interleaved, so drift in the shared machine hits both
                runs[client].append(run_one(client, endpoint, args.objects, args.size))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    summary = {
        client: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
        for client, rs in runs.items()
    }
    doc = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "objects": args.objects,
        "size": args.size,
        "rounds": args.rounds,
        "median": summary,
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"{args.objects} objects of {args.size} B, median of {args.rounds} rounds")
    for client, m in summary.items():
        print(
            f"{client:6s} import {m['import_s'] * 1000:6.0f} ms  RSS {m['rss_import_mib']:5.1f} MiB"
            f"  put {m['put_s']:5.2f} s (CPU {m['put_cpu_s']:4.2f})"
            f"  get {m['get_s']:5.2f} s (CPU {m['get_cpu_s']:4.2f})"
            f"  RSS after {m['rss_end_mib']:5.1f} MiB"
        )


if __name__ == "__main__":
    main()
