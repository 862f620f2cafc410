"""The `stepline bench` workloads through boto3, so the same load runs against any Step
Functions endpoint (Stepline, other emulators, AWS itself).

    python bench/boto3_bench.py --endpoint http://127.0.0.1:8083 [--requests 5000] [--threads 16]

Workloads:
  standard      StartExecution of a 3-state Pass STANDARD machine from many threads; reports
                executions/s and state transitions/s (3 per execution) once all SUCCEEDED.
  express-sync  StartSyncExecution of a 3-state Pass EXPRESS machine; requests/s and latency.

boto3 itself costs ~0.5-1 ms of client CPU per call, so on a small machine these figures
measure the client as much as the server; `stepline bench` (a lean Rust client) shows what
the server can do.
"""

import argparse
import json
import threading
import time
import uuid

import boto3
from botocore.config import Config

THREE_PASS = json.dumps({"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.a", "Next": "B"},
    "B": {"Type": "Pass", "Next": "C"},
    "C": {"Type": "Pass", "End": True}}})
ROLE = "arn:aws:iam::123456789012:role/StepFunctions"


def client(endpoint, threads):
    return boto3.client(
        "stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        # No `sync-` host prefix for StartSyncExecution on a local endpoint.
        config=Config(inject_host_prefix=False, max_pool_connections=threads,
                      retries={"max_attempts": 1}))


def run(n, threads, call):
    latencies = []
    lock = threading.Lock()
    counter = iter(range(n))

    def worker():
        mine = []
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            t = time.perf_counter()
            call(i)
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return elapsed, latencies


def pct(lat, p):
    return lat[min(len(lat) - 1, int(round((len(lat) - 1) * p)))] * 1e6 if lat else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", default="http://127.0.0.1:8083")
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--workload", default="all", choices=["all", "standard", "express-sync"])
    a = ap.parse_args()
    sfn = client(a.endpoint, a.threads)
    run_id = uuid.uuid4().hex[:8]

    if a.workload in ("all", "standard"):
        arn = sfn.create_state_machine(name=f"boto3-bench-std-{run_id}", definition=THREE_PASS, roleArn=ROLE)["stateMachineArn"]
        elapsed, lat = run(a.requests, a.threads, lambda i: sfn.start_execution(stateMachineArn=arn, name=f"e{i}", input='{"n": 1}'))
        # Wait until every execution is closed, then count them.
        deadline = time.time() + 300
        while sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1)["executions"]:
            if time.time() > deadline:
                raise SystemExit("executions still running")
            time.sleep(0.1)
        elapsed_all = max(elapsed, 1e-9)
        succeeded = sum(len(p["executions"]) for p in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, statusFilter="SUCCEEDED"))
        eps = a.requests / elapsed_all
        print(f"standard: {a.requests} executions in {elapsed_all:.2f}s = {eps:.0f} executions/s = {3 * eps:.0f} state transitions/s; "
              f"StartExecution p50 {pct(lat, .5):.0f}us p99 {pct(lat, .99):.0f}us; {succeeded} SUCCEEDED")

    if a.workload in ("all", "express-sync"):
        arn = sfn.create_state_machine(name=f"boto3-bench-exp-{run_id}", definition=THREE_PASS, roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
        elapsed, lat = run(a.requests, a.threads, lambda i: sfn.start_sync_execution(stateMachineArn=arn, input='{"n": 1}'))
        print(f"express-sync: {a.requests} StartSyncExecution in {elapsed:.2f}s = {a.requests / elapsed:.0f}/s; "
              f"p50 {pct(lat, .5):.0f}us p90 {pct(lat, .9):.0f}us p99 {pct(lat, .99):.0f}us")
        elapsed, lat = run(min(a.requests, 2000), 1, lambda i: sfn.start_sync_execution(stateMachineArn=arn, input='{"n": 1}'))
        print(f"express-sync (1 thread): p50 {pct(lat, .5):.0f}us p90 {pct(lat, .9):.0f}us p99 {pct(lat, .99):.0f}us")


if __name__ == "__main__":
    main()
