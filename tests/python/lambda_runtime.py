"""Runs each function `sam build` produced against a local Lambda Runtime API.

For every function in the built template, starts its `bootstrap` the way Lambda
does (AWS_LAMBDA_RUNTIME_API pointing at a server here, the standard Lambda
variables and the template's own environment), hands it one invocation and
checks the answer: the API answers `/health`, intake and the feed refuse a
request without credentials, the stream consumers report no failed record of
an empty batch. A function that fails to start, reports an error or answers
anything else fails the run.

Usage: python3 lambda_runtime.py BUILD_DIR   (the directory `sam build` wrote)
Stdlib only; the functions are given a DynamoDB endpoint that is never reached.
"""

import json
import os
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
TIMEOUT_SECONDS = 30


def http_event(method, path, headers=None):
    """An API Gateway HTTP API (payload 2.0) request, as Lambda delivers it."""
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "example.execute-api.us-east-1.amazonaws.com", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "example",
            "domainName": "example.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "example",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "lambda-runtime-check",
            },
            "requestId": "check",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "06/Dec/2026:00:00:00 +0000",
            "timeEpoch": 1796515200000,
        },
        "body": "" if method == "GET" else "{}",
        "isBase64Encoded": False,
    }


def status_is(expected):
    def check(answer):
        return answer.get("statusCode") == expected

    return check


def no_failed_records(answer):
    return answer == {"batchItemFailures": []}


# Function (logical id in template.yaml) -> (invocation, check of the answer).
CASES = {
    "ApiFunction": (http_event("GET", "/health"), status_is(200)),
    "IntakeFunction": (http_event("POST", "/events"), status_is(401)),
    "SegmentFeedFunction": (http_event("GET", "/segment/identify/user/someone"), status_is(401)),
    "IdentityMapFunction": ({"Records": []}, no_failed_records),
    "TouchesFunction": ({"Records": []}, no_failed_records),
}

# The template's environment holds CloudFormation references; these stand in
# for what they resolve to. Credentials are set so no request is unauthenticated.
ENVIRONMENT = {
    "STAGE": "check",
    "REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "SERVICE_NAME": "sma",
    "EVENTS_TABLE": "sma-check-events",
    "USER_MAP_TABLE": "sma-check-user-map",
    "ATTRIBUTION_TABLE": "sma-check-attribution",
    "DYNAMODB_ENDPOINT": "http://127.0.0.1:9",
    "SEGMENT_SHARED_SECRET": "check-secret",
    "API_TOKEN": "check-token",
    "FEED_TOKEN": "check-feed-token",
    "RUST_LOG": "warn",
    "AWS_ACCESS_KEY_ID": "fakeMyKeyId",
    "AWS_SECRET_ACCESS_KEY": "fakeSecretAccessKey",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class RuntimeApi(ThreadingHTTPServer):
    """Serves one invocation, then records the function's answer or error."""

    def __init__(self, event):
        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        self.event = event
        self.request_id = str(uuid.uuid4())
        self.handed_out = False
        self.result = None  # ("response" | "error" | "init_error", body)
        self.done = threading.Event()


class Handler(BaseHTTPRequestHandler):
    server: RuntimeApi

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path != f"{PREFIX}/invocation/next":
            return self.reply(404, {"errorMessage": "unknown path"})
        if self.server.handed_out:
            # One invocation only: park the runtime's next poll until the check
            # ends; the process is killed then, so nothing is answered.
            self.server.done.wait(TIMEOUT_SECONDS)
            self.close_connection = True
            return
        self.server.handed_out = True
        body = json.dumps(self.server.event).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", self.server.request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", "9999999999999")
        self.send_header(
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:us-east-1:123456789012:function:check",
        )
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        request_id = self.server.request_id
        kind = {
            f"{PREFIX}/invocation/{request_id}/response": "response",
            f"{PREFIX}/invocation/{request_id}/error": "error",
            f"{PREFIX}/init/error": "init_error",
        }.get(self.path)
        if kind is None:
            return self.reply(404, {"errorMessage": "unknown path"})
        self.server.result = (kind, body)
        self.reply(202, {"status": "OK"})
        self.server.done.set()

    def reply(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def check(build_dir, function, event, accept):
    bootstrap = os.path.join(build_dir, function, "bootstrap")
    if not os.access(bootstrap, os.X_OK):
        return f"{function}: no executable bootstrap at {bootstrap}"
    server = RuntimeApi(event)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "check",
        **ENVIRONMENT,
    }
    process = subprocess.Popen(
        [bootstrap], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        finished = server.done.wait(TIMEOUT_SECONDS)
    finally:
        process.kill()
        output = process.communicate()[0]
        server.shutdown()
    if not finished:
        return f"{function}: no answer within {TIMEOUT_SECONDS} s; its output:\n{output}"
    kind, body = server.result
    if kind != "response":
        return f"{function}: reported {kind}: {body}\nits output:\n{output}"
    answer = json.loads(body)
    if not accept(answer):
        return f"{function}: unexpected answer {body}"
    print(f"lambda-runtime: {function} answered {body[:120]}")
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: lambda_runtime.py BUILD_DIR")
    build_dir = sys.argv[1]
    failures = [
        failure
        for function, (event, accept) in CASES.items()
        if (failure := check(build_dir, function, event, accept))
    ]
    built = {name for name in os.listdir(build_dir) if name.endswith("Function")}
    unchecked = built - CASES.keys()
    if unchecked:
        failures.append(f"built but not checked: {sorted(unchecked)}")
    for failure in failures:
        print(f"lambda-runtime: FAILED {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"lambda-runtime: all {len(CASES)} functions answered")


if __name__ == "__main__":
    main()
