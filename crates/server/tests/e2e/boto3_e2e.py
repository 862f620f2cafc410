"""End-to-end checks of `stepline serve` with the real boto3 client.

Usage: python boto3_e2e.py http://127.0.0.1:PORT
Exits non-zero on the first failed check.

botocore sends StartSyncExecution and TestState to a `sync-` host prefix
(`sync-127.0.0.1:PORT`), which a local endpoint does not resolve. Turn the prefix off with
`Config(inject_host_prefix=False)`, or for any botocore client (boto3, AWS CLI v1/v2) with
`AWS_DISABLE_HOST_PREFIX_INJECTION=true` or `disable_host_prefix_injection = true` in
~/.aws/config.
"""

import json
import os
import sys
import time
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
ROLE = "arn:aws:iam::123456789012:role/StepFunctions"
RUN = uuid.uuid4().hex[:8]


def client(**config):
    return boto3.client(
        "stepfunctions",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, **config),
    )


sfn = client(inject_host_prefix=False)
checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, "HTTP 400")
        return e.response["Error"]["Message"]
    raise AssertionError(f"expected {code}, call succeeded")


def wait_done(arn, timeout=60):
    deadline = time.time() + timeout
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        if time.time() > deadline:
            raise AssertionError(f"{arn} still running")
        time.sleep(0.05)


PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})

# State machines.
name = f"boto3-{RUN}"
created = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE, tags=[{"key": "k", "value": "v"}])
arn = created["stateMachineArn"]
check(arn == f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}", arn)
check(hasattr(created["creationDate"], "year"), "creationDate is a timestamp")
d = sfn.describe_state_machine(stateMachineArn=arn)
check(d["name"] == name and d["status"] == "ACTIVE" and d["type"] == "STANDARD", d)
check(json.loads(d["definition"]) == json.loads(PASS), "definition round-trips")
names = [m["name"] for page in sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 1}) for m in page["stateMachines"]]
check(name in names, names)
check(sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "k", "value": "v"}], "tags")
msg = expect_error("StateMachineAlreadyExists", sfn.create_state_machine, name=name, definition=WAIT, roleArn=ROLE)
check(msg == f"State Machine Already Exists: '{arn}'", msg)
expect_error("InvalidDefinition", sfn.create_state_machine, name=f"bad-{RUN}", definition="{}", roleArn=ROLE)
expect_error("InvalidName", sfn.create_state_machine, name="a b", definition=PASS, roleArn=ROLE)
msg = expect_error("InvalidArn", sfn.describe_state_machine, stateMachineArn="not_a_valid_arn")
check(msg == "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'", msg)
expect_error("StateMachineDoesNotExist", sfn.describe_state_machine, stateMachineArn=arn + "x")

# Executions.
start = sfn.start_execution(stateMachineArn=arn, name="e1", input='{"x": 1}')
d = wait_done(start["executionArn"])
check(d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"Arg1": "argument1"}, d)
check(d["startDate"] <= d["stopDate"], "dates")
msg = expect_error("ExecutionAlreadyExists", sfn.start_execution, stateMachineArn=arn, name="e1", input="{}")
check(msg == f"Execution Already Exists: '{start['executionArn']}'", msg)
events = [e for page in sfn.get_paginator("get_execution_history").paginate(executionArn=start["executionArn"], PaginationConfig={"PageSize": 2}) for e in page["events"]]
check([e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"], events)
rev = sfn.get_execution_history(executionArn=start["executionArn"], reverseOrder=True, maxResults=1)
check(rev["events"][0]["type"] == "ExecutionSucceeded" and "nextToken" in rev, rev)
listed = sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED")["executions"]
check([e["name"] for e in listed] == ["e1"], listed)
dfe = sfn.describe_state_machine_for_execution(executionArn=start["executionArn"])
check(dfe["stateMachineArn"] == arn, dfe)

waiter = sfn.create_state_machine(name=f"wait-{RUN}", definition=WAIT, roleArn=ROLE)["stateMachineArn"]
w = sfn.start_execution(stateMachineArn=waiter, name="w")
again = sfn.start_execution(stateMachineArn=waiter, name="w")
check(again["executionArn"] == w["executionArn"], "idempotent start")
check(sfn.describe_execution(executionArn=w["executionArn"])["status"] == "RUNNING", "running")
sfn.stop_execution(executionArn=w["executionArn"], error="E", cause="C")
d = sfn.describe_execution(executionArn=w["executionArn"])
check(d["status"] == "ABORTED" and d["error"] == "E", d)
expect_error("ExecutionDoesNotExist", sfn.describe_execution, executionArn=w["executionArn"] + "x")
expect_error("ValidationException", sfn.list_executions, stateMachineArn=arn, statusFilter="succeeded")

# Express: StartSyncExecution (host prefix off in the client config, then through the env var).
express = sfn.create_state_machine(name=f"express-{RUN}", definition=PASS, roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
r = sfn.start_sync_execution(stateMachineArn=express, input="{}")
check(r["status"] == "SUCCEEDED" and json.loads(r["output"]) == {"Arg1": "argument1"}, r)
os.environ["AWS_DISABLE_HOST_PREFIX_INJECTION"] = "true"
r = client().start_sync_execution(stateMachineArn=express, input="{}")
check(r["status"] == "SUCCEEDED", r)
expect_error("StateMachineTypeNotSupported", sfn.start_sync_execution, stateMachineArn=arn, input="{}")

# Versions and aliases.
v = sfn.update_state_machine(stateMachineArn=arn, definition=WAIT.replace("600", "0"), publish=True, versionDescription="v1")
v1 = v["stateMachineVersionArn"]
check(v1 == arn + ":1", v1)
versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
check([x["stateMachineVersionArn"] for x in versions] == [v1], versions)
alias = sfn.create_state_machine_alias(name="prod", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])["stateMachineAliasArn"]
check(alias == arn + ":prod", alias)
e = sfn.start_execution(stateMachineArn=alias)
d = wait_done(e["executionArn"])
check(d["status"] == "SUCCEEDED" and d["stateMachineAliasArn"] == alias and d["stateMachineVersionArn"] == v1, d)
check(sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["name"] == "prod", "alias")
expect_error("ConflictException", sfn.delete_state_machine_version, stateMachineVersionArn=v1)
sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
sfn.delete_state_machine_version(stateMachineVersionArn=v1)
check(sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"] == [], "deleted")

# Validation.
check(sfn.validate_state_machine_definition(definition=PASS)["result"] == "OK", "valid")
check(sfn.validate_state_machine_definition(definition="{}")["result"] == "FAIL", "invalid")

sfn.delete_state_machine(stateMachineArn=arn)
expect_error("StateMachineDoesNotExist", sfn.describe_state_machine, stateMachineArn=arn)
print(f"boto3: {checks} checks passed")
