#!/usr/bin/env python3
"""Cold start of sma's Lambda functions against a local Lambda Runtime API.

A minimal Runtime API (the endpoints a custom runtime uses, 2018-06-01) serves
one invocation per process: the function's first GET .../invocation/next gets an
event, and its POST .../invocation/<id>/response ends the measurement. Every run
starts the binary afresh, as Lambda does for a new execution environment, and
measures from just before the process is spawned to
  init:   its first GET .../invocation/next (what Lambda reports as Init Duration)
  answer: its response to that first invocation.
The harness is on loopback, so no network time is included. The tables are
created first (DynamoDB Local); the events need no table data: GET /health for
HTTP functions, an empty batch for stream consumers.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
# The targets: a miss fails the run.
MAX_INIT_MS = 50
MAX_BINARY_MB = 10

HEALTH = {
    "version": "2.0",
    "routeKey": "GET /health",
    "rawPath": "/health",
    "rawQueryString": "",
    "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com", "user-agent": "cold-start"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "abc123",
        "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "abc123",
        "http": {"method": "GET", "path": "/health", "protocol": "HTTP/1.1",
                 "sourceIp": "192.0.2.10", "userAgent": "cold-start"},
        "requestId": "cold-start",
        "routeKey": "GET /health",
        "stage": "$default",
        "time": "01/May/2024:10:00:00 +0000",
        "timeEpoch": 1714557600000,
    },
    "isBase64Encoded": False,
}
EMPTY_BATCH = {"Records": []}

# The event each function gets, and what its answer must contain.
EVENTS = {
    "intake": (HEALTH, '"statusCode":200'),
    "api": (HEALTH, '"statusCode":200'),
    "segment-feed": (HEALTH, '"statusCode":200'),
    "identity-map": (EMPTY_BATCH, '"batchItemFailures":[]'),
    "touches": (EMPTY_BATCH, '"batchItemFailures":[]'),
}


class Run:
    """One function process's first invocation."""

    def __init__(self, event):
        self.event = json.dumps(event).encode()
        self.request_id = f"cold-start-{time.monotonic_ns()}"
        self.first_next = None
        self.answered = None
        self.answer = None
        self.error = None
        self.done = threading.Event()
        self.stopped = threading.Event()
        self.served = False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    run = None  # the current Run, set by the measuring loop

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        run = Handler.run
        if self.path != f"{PREFIX}/invocation/next" or run is None:
            return self.reply(404, b'{"errorMessage":"not found"}')
        if run.served:
            # The next invocation never comes: the process is stopped first.
            run.stopped.wait(30)
            return self.reply(410)
        run.served = True
        run.first_next = time.perf_counter()
        deadline = str(int(time.time() * 1000) + 29_000)
        self.reply(200, run.event, [
            ("Lambda-Runtime-Aws-Request-Id", run.request_id),
            ("Lambda-Runtime-Deadline-Ms", deadline),
            ("Lambda-Runtime-Invoked-Function-Arn",
             "arn:aws:lambda:us-east-1:123456789012:function:cold-start"),
            ("Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"),
        ])

    def do_POST(self):
        run = Handler.run
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if run is not None and self.path == f"{PREFIX}/invocation/{run.request_id}/response":
            run.answered = time.perf_counter()
            run.answer = body.decode(errors="replace")
            self.reply(202, b'{"status":"OK"}')
            run.done.set()
        elif run is not None and self.path.endswith("/error"):
            run.error = f"{self.path}: {body.decode(errors='replace')}"
            self.reply(202, b'{"status":"OK"}')
            run.done.set()
        else:
            self.reply(404, b'{"errorMessage":"not found"}')


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A stopped function drops its pending GET .../next: expected, not news.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def create_tables(endpoint, names):
    """CreateTable through DynamoDB's JSON protocol (DynamoDB Local checks no signature)."""
    for name, stream in names:
        spec = {
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
        }
        if stream:
            spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        request = urllib.request.Request(endpoint, data=json.dumps(spec).encode(), headers={
            "X-Amz-Target": "DynamoDB_20120810.CreateTable",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=fakeMyKeyId/20240101/us-east-1/dynamodb/aws4_request, "
                             "SignedHeaders=host, Signature=abc",
        })
        try:
            urllib.request.urlopen(request, timeout=10).read()
        except urllib.error.HTTPError as e:
            if b"ResourceInUseException" not in e.read():
                raise


def measure(binary, function, env, runs):
    event, expected = EVENTS[function]
    inits, answers = [], []
    for _ in range(runs):
        run = Run(event)
        Handler.run = run
        start = time.perf_counter()
        process = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        finished = run.done.wait(30)
        process.terminate()
        try:
            output, _ = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        run.stopped.set()
        if not finished or run.error or run.answer is None or expected not in run.answer.replace(" ", ""):
            sys.exit(f"cold-start: {function} did not answer as expected: "
                     f"error={run.error} answer={run.answer} output:\n{output.decode(errors='replace')[-3000:]}")
        inits.append((run.first_next - start) * 1000)
        answers.append((run.answered - start) * 1000)
    return inits, answers


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("functions", nargs="+", choices=sorted(EVENTS))
    args = parser.parse_args()

    endpoint = os.environ.get("DYNAMODB_ENDPOINT")
    if not endpoint:
        sys.exit("cold-start: DYNAMODB_ENDPOINT is not set (run through scripts/dynamodb-local run)")
    prefix = f"sma-cold-start-{os.getpid()}"
    tables = {"EVENTS_TABLE": f"{prefix}-events", "USER_MAP_TABLE": f"{prefix}-user-map",
              "ATTRIBUTION_TABLE": f"{prefix}-attribution"}
    create_tables(endpoint, [(tables["EVENTS_TABLE"], True), (tables["USER_MAP_TABLE"], False),
                             (tables["ATTRIBUTION_TABLE"], True)])

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    runtime_api = f"127.0.0.1:{server.server_address[1]}"

    missed = []
    print(f"{'function':<18} {'init ms':>8} {'answer ms':>10} {'min-max answer':>15} {'binary MB':>10}")
    for function in args.functions:
        binary = os.path.join(args.bin_dir, function)
        env = dict(os.environ)
        env.update(tables)
        env.update({
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/sma/cold-start",
            "AWS_LAMBDA_LOG_STREAM_NAME": "cold-start",
            "REGION": "us-east-1",
            "STAGE": "cold-start",
            "API_TOKEN": "cold-start-token-0123456789",
            "SEGMENT_SHARED_SECRET": "cold-start-secret",
            "REALTIME_FEED": "true",
            "LOG_FORMAT": "json",
            "RUST_LOG": "info",
        })
        inits, answers = measure(binary, function, env, args.runs)
        size = os.path.getsize(binary) / 1_000_000
        print(f"{function:<18} {statistics.median(inits):>8.1f} {statistics.median(answers):>10.1f} "
              f"{min(answers):>7.1f}-{max(answers):<7.1f} {size:>10.1f}", flush=True)
        if statistics.median(inits) >= MAX_INIT_MS or size >= MAX_BINARY_MB:
            missed.append(function)
    server.shutdown()
    print(f"(median of {args.runs} runs; binary MB = 10^6 bytes)")
    if missed:
        sys.exit(f"cold-start: target missed (init < {MAX_INIT_MS} ms, binary < {MAX_BINARY_MB} MB): "
                 + ", ".join(missed))


if __name__ == "__main__":
    main()
