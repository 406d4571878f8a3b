"""Checks of template.yaml that linters do not make (run by scripts/validate-template):

- no function has a secret in its environment: each secret is named by an SSM
  parameter (NAME_PARAMETER), and the function's role may read exactly the
  parameters its environment names, nothing else in SSM;
- no role may Scan, or DeleteItem other than where a transaction deletes; each
  names only the tables it uses;
- every alarm the README's "Operating on AWS" section explains exists;
- every route of the router (crates/app/src/http/mod.rs) is an event of the HTTP
  API, with its method, so no page or report answers 404 on AWS alone.

Usage: python template_check.py TEMPLATE   (with cfn-lint installed, for its YAML loader)
"""

import os
import re
import sys

from cfnlint.decode import cfn_yaml

SECRETS = {"SEGMENT_SHARED_SECRET", "API_TOKEN", "FEED_TOKEN", "ANALYTICS_WRITE_KEY", "INTAKE_WRITE_KEYS"}
TABLES = {
    "IntakeFunction": {"EventsTable", "UserMapTable", "AttributionTable"},
    "IdentityMapFunction": {"EventsTable", "UserMapTable", "AttributionTable"},
    "TouchesFunction": {"EventsTable", "UserMapTable", "AttributionTable"},
    "SegmentFeedFunction": {"EventsTable", "UserMapTable", "AttributionTable"},
    "ApiFunction": {"EventsTable", "UserMapTable", "AttributionTable"},
}
WRITES = {
    "IntakeFunction": {"EventsTable", "UserMapTable", "AttributionTable"},
    "IdentityMapFunction": {"UserMapTable", "AttributionTable"},
    "TouchesFunction": {"AttributionTable"},
    "SegmentFeedFunction": set(),
    # POST /api/spend.
    "ApiFunction": {"AttributionTable"},
}
# Deletes inside TransactWriteItems are authorised as DeleteItem: a takeover
# (USER_MAP), touches no longer derived and ledger entries of an erased user
# (ATTRIBUTION). Batched deletes need only BatchWriteItem.
DELETES = {
    "IntakeFunction": {"UserMapTable", "AttributionTable"},
    "IdentityMapFunction": {"UserMapTable"},
    "TouchesFunction": {"AttributionTable"},
    "SegmentFeedFunction": set(),
    "ApiFunction": set(),
}
ALARMS = {
    "FunctionErrorsAlarm",
    "FunctionThrottlesAlarm",
    "StreamIteratorAgeAlarm",
    "DynamoDbThrottlesAlarm",
    "StreamFailureQueueAlarm",
    "HttpApi5xxAlarm",
}
WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"}


def leaf(value):
    """The parameter leaf of `!Sub "${SecretsPath}/leaf"` or its ARN, or of `!If [c, that, ...]`."""
    if isinstance(value, dict) and "Fn::If" in value:
        return leaf(value["Fn::If"][1])
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    return text.rsplit("${SecretsPath}/", 1)[1]


def table_of(resource):
    return resource["Fn::GetAtt"][0] if isinstance(resource, dict) else resource


def router_routes(source):
    """(METHOD, path) of each `.route("path", get(...))` in the router's source."""
    return {(m.upper(), path) for path, m in re.findall(r'\.route\(\s*"([^"]+)",\s*(get|post)\(', source)}


def api_routes(resources):
    """(METHOD, path) of each HttpApi event of every function."""
    routes = set()
    for resource in resources.values():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") == "HttpApi":
                routes.add((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    return routes


def check(template, router_source):
    problems = []
    resources = template["Resources"]
    global_env = template["Globals"]["Function"]["Environment"]["Variables"]
    for name in SECRETS & global_env.keys():
        problems.append(f"Globals: secret {name} in the environment")
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}
    if functions.keys() != TABLES.keys():
        problems.append(f"functions {sorted(functions)} are not the checked {sorted(TABLES)}")
    for fn, resource in functions.items():
        props = resource["Properties"]
        env = props.get("Environment", {}).get("Variables", {})
        for name in SECRETS & env.keys():
            problems.append(f"{fn}: secret {name} in the environment")
        named = {leaf(v) for k, v in env.items() if k.endswith("_PARAMETER")}
        readable, tables, writable, deletable = set(), set(), set(), set()
        for policy in props.get("Policies", []):
            if not isinstance(policy, dict) or "Statement" not in policy:
                problems.append(f"{fn}: policy {policy} is not an explicit statement")
                continue
            for statement in policy["Statement"]:
                actions = statement["Action"]
                actions = {actions} if isinstance(actions, str) else set(actions)
                resources_of = statement["Resource"]
                resources_of = resources_of if isinstance(resources_of, list) else [resources_of]
                if any(a.startswith("ssm:") for a in actions):
                    readable |= {leaf(r) for r in resources_of}
                    if actions != {"ssm:GetParameters"}:
                        problems.append(f"{fn}: SSM actions {sorted(actions)}")
                if any(a.startswith("dynamodb:") for a in actions):
                    if "dynamodb:Scan" in actions:
                        problems.append(f"{fn}: may Scan")
                    found = {table_of(r) for r in resources_of}
                    tables |= found
                    if actions & WRITE_ACTIONS:
                        writable |= found
                    if "dynamodb:DeleteItem" in actions:
                        deletable |= found
        if readable != named:
            problems.append(f"{fn}: may read SSM parameters {sorted(readable)}, its environment names {sorted(named)}")
        if tables != TABLES[fn]:
            problems.append(f"{fn}: tables {sorted(tables)}, expected {sorted(TABLES[fn])}")
        if writable != WRITES[fn]:
            problems.append(f"{fn}: writes {sorted(writable)}, expected {sorted(WRITES[fn])}")
        if deletable != DELETES[fn]:
            problems.append(f"{fn}: may DeleteItem on {sorted(deletable)}, expected {sorted(DELETES[fn])}")
    alarms = {k for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    for missing in sorted(ALARMS - alarms):
        problems.append(f"alarm {missing} is missing")
    routes = router_routes(router_source)
    if len(routes) < 10:
        problems.append(f"found only {sorted(routes)} in the router's source")
    for method, path in sorted(routes - api_routes(resources)):
        problems.append(f"route {method} {path} of the router is no event of the HTTP API")
    return problems


def main():
    template = cfn_yaml.load(sys.argv[1])
    router = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "crates/app/src/http/mod.rs")
    with open(router, encoding="utf-8") as source:
        problems = check(template, source.read())
    for problem in problems:
        print(f"template-check: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("template-check: no secret in any environment; each role reads only its own secrets and tables; every alarm exists; every route is on the API")


if __name__ == "__main__":
    main()
