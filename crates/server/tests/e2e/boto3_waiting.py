"""Waiting tasks through the real boto3 client: an activity worker loop, callbacks (success,
failure, heartbeat, heartbeat timeout), nested .sync/.sync:2, and each kind across a restart.

Usage: python boto3_waiting.py ENDPOINT live
       python boto3_waiting.py ENDPOINT before STATE.json   (then the server is killed -9)
       python boto3_waiting.py ENDPOINT after STATE.json    (on the restarted server)
Exits non-zero on the first failed check.
"""

import json
import sys
import threading
import time
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT, PHASE = sys.argv[1], sys.argv[2]
STATE = sys.argv[3] if len(sys.argv) > 3 else None
ROLE = "arn:aws:iam::123456789012:role/StepFunctions"
RUN = uuid.uuid4().hex[:8]
LONG = 120

sfn = boto3.client(
    "stepfunctions",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(retries={"max_attempts": 1}, inject_host_prefix=False, read_timeout=90),
)


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


def error_code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def machine(name, states, start):
    d = {"StartAt": start, "States": states}
    return sfn.create_state_machine(name=f"{name}-{RUN}", definition=json.dumps(d), roleArn=ROLE)[
        "stateMachineArn"
    ]


def callback_machine(name, extra=None):
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                       "MessageBody": {"Token.$": "$$.Task.Token"}},
        "End": True,
    }
    task.update(extra or {})
    return machine(name, {"Wait": task}, "Wait")


def nested_machine(name, resource):
    return machine(name, {"Child": {
        "Type": "Task", "Resource": resource,
        "Parameters": {"StateMachineArn.$": "$.sm", "Input.$": "$.in"},
        "End": True}}, "Child")


def wait_done(arn):
    deadline = time.time() + LONG
    while time.time() < deadline:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.1)
    check(False, f"{arn} finished")


def token_of(arn):
    deadline = time.time() + LONG
    while time.time() < deadline:
        for e in sfn.get_execution_history(executionArn=arn)["events"]:
            if e["type"] == "TaskStarted":
                for s in sfn.get_execution_history(executionArn=arn)["events"]:
                    if s["type"] == "TaskScheduled":
                        p = json.loads(s["taskScheduledEventDetails"]["parameters"])
                        return p["MessageBody"]["Token"]
        time.sleep(0.1)
    check(False, f"{arn} waits on a token")


def history_types(arn):
    return [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]


def start(sm, inp):
    return sfn.start_execution(stateMachineArn=sm, input=json.dumps(inp))["executionArn"]


def take(activity, worker):
    deadline = time.time() + LONG
    while time.time() < deadline:
        t = sfn.get_activity_task(activityArn=activity, workerName=worker)
        if t.get("taskToken"):
            return t
    check(False, f"a task for {activity}")


def live():
    act = sfn.create_activity(name=f"act-{RUN}")["activityArn"]
    check(sfn.describe_activity(activityArn=act)["name"] == f"act-{RUN}", "describe_activity")
    check(any(a["activityArn"] == act for a in sfn.list_activities()["activities"]),
          "list_activities")
    sm = machine("worker", {"Work": {"Type": "Task", "Resource": act, "HeartbeatSeconds": 30,
                                     "TimeoutSeconds": 300, "End": True}}, "Work")
    execs = [start(sm, {"n": i}) for i in range(12)]
    served = []
    lock = threading.Lock()

    def worker(name):
        while True:
            with lock:
                if len(served) >= len(execs):
                    return
            t = sfn.get_activity_task(activityArn=act, workerName=name)
            if not t.get("taskToken"):
                continue
            n = json.loads(t["input"])["n"]
            sfn.send_task_heartbeat(taskToken=t["taskToken"])
            sfn.send_task_success(taskToken=t["taskToken"], output=json.dumps({"twice": n * 2}))
            with lock:
                served.append(n)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=LONG)
    check(sorted(served) == list(range(12)), "every activity task delivered exactly once")
    for i, e in enumerate(execs):
        d = wait_done(e)
        check(json.loads(d["output"]) == {"twice": i * 2}, f"activity execution {i} output")
    types = history_types(execs[0])
    check(types[2:5] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"],
          "activity history events")

    cb = callback_machine("cb")
    e = start(cb, {})
    tok = token_of(e)
    sfn.send_task_success(taskToken=tok, output='{"approved": true}')
    check(json.loads(wait_done(e)["output"]) == {"approved": True}, "callback success")
    check(error_code(sfn.send_task_success, taskToken=tok, output="{}") == "TaskTimedOut",
          "a used token answers TaskTimedOut")
    e = start(cb, {})
    sfn.send_task_failure(taskToken=token_of(e), error="Rejected", cause="no")
    d = wait_done(e)
    check(d["status"] == "FAILED" and d["error"] == "Rejected", "callback failure")
    check(error_code(sfn.send_task_success, taskToken="not-a-token", output="{}")
          == "InvalidToken", "InvalidToken")

    hb = callback_machine("hb", {"HeartbeatSeconds": 2})
    e = start(hb, {})
    tok = token_of(e)
    for _ in range(8):
        sfn.send_task_heartbeat(taskToken=tok)
        time.sleep(0.5)
    check(sfn.describe_execution(executionArn=e)["status"] == "RUNNING", "heartbeats keep it alive")
    sfn.send_task_success(taskToken=tok, output="1")
    check(wait_done(e)["status"] == "SUCCEEDED", "callback with heartbeats")
    e = start(hb, {})
    tok = token_of(e)
    d = wait_done(e)
    check(d["error"] == "States.Timeout", "heartbeat timeout")
    check(error_code(sfn.send_task_success, taskToken=tok, output="{}") == "TaskTimedOut",
          "a heartbeat-timed-out token answers TaskTimedOut")
    e = start(callback_machine("to", {"TimeoutSeconds": 1}), {})
    tok = token_of(e)
    d = wait_done(e)
    check(d["error"] == "States.Timeout" and "TaskTimedOut" in history_types(e),
          "callback task timeout")
    check(error_code(sfn.send_task_heartbeat, taskToken=tok) == "TaskTimedOut",
          "a timed-out token answers TaskTimedOut")

    # An activity worker that stops heartbeating.
    slow = machine("slow", {"Work": {"Type": "Task", "Resource": act, "HeartbeatSeconds": 1,
                                     "End": True}}, "Work")
    e = start(slow, {"n": 99})
    t = take(act, "slow")
    d = wait_done(e)
    check(d["error"] == "States.Timeout" and "ActivityTimedOut" in history_types(e),
          "activity heartbeat timeout")
    check(error_code(sfn.send_task_heartbeat, taskToken=t["taskToken"]) == "TaskTimedOut",
          "the silent worker's heartbeat answers TaskTimedOut")
    # A Task on a deleted activity fails before scheduling, as on AWS.
    gone = sfn.create_activity(name=f"gone-{RUN}")["activityArn"]
    sfn.delete_activity(activityArn=gone)
    e = start(machine("gone", {"Work": {"Type": "Task", "Resource": gone, "End": True}}, "Work"),
              {})
    d = wait_done(e)
    check(d["error"] == "States.Runtime" and "ActivityScheduled" not in history_types(e),
          "a task on a deleted activity")

    child = machine("child", {"P": {"Type": "Pass", "Result": {"c": 1}, "End": True}}, "P")
    p1 = nested_machine("p1", "arn:aws:states:::states:startExecution.sync")
    p2 = nested_machine("p2", "arn:aws:states:::states:startExecution.sync:2")
    o1 = json.loads(wait_done(start(p1, {"sm": child, "in": {}}))["output"])
    check(o1["Status"] == "SUCCEEDED" and o1["Output"] == '{"c":1}', ".sync output")
    o2 = json.loads(wait_done(start(p2, {"sm": child, "in": {}}))["output"])
    check(o2["Output"] == {"c": 1}, ".sync:2 output")
    e = start(p2, {"sm": child, "in": {}})
    wait_done(e)
    types = history_types(e)
    check(types[3:6] == ["TaskStarted", "TaskSubmitted", "TaskSucceeded"],
          ".sync:2 records TaskSubmitted")


def before():
    act = sfn.create_activity(name=f"dact-{RUN}")["activityArn"]
    sm = machine("dworker", {"Work": {"Type": "Task", "Resource": act, "End": True}}, "Work")
    taken_exec = start(sm, {"n": 1})
    taken = take(act, "before")["taskToken"]
    slow_exec = start(machine("dslow", {"Work": {"Type": "Task", "Resource": act,
                                                 "HeartbeatSeconds": 5, "End": True}}, "Work"),
                      {"n": 3})
    slow_tok = take(act, "silent")["taskToken"]
    queued_exec = start(sm, {"n": 2})
    cb_exec = start(callback_machine("dcb"), {})
    cb_tok = token_of(cb_exec)
    fail_exec = start(callback_machine("dfail"), {})
    fail_tok = token_of(fail_exec)
    hb_exec = start(callback_machine("dhb", {"HeartbeatSeconds": 4}), {})
    hb_tok = token_of(hb_exec)
    hbt_exec = start(callback_machine("dhbt", {"HeartbeatSeconds": 3}), {})
    hbt_tok = token_of(hbt_exec)
    child = machine("dchild", {"W": {"Type": "Wait", "Seconds": 3, "End": True}}, "W")
    p1 = start(nested_machine("dp1", "arn:aws:states:::states:startExecution.sync"),
               {"sm": child, "in": {"x": 1}})
    p2 = start(nested_machine("dp2", "arn:aws:states:::states:startExecution.sync:2"),
               {"sm": child, "in": {"x": 2}})
    time.sleep(0.5)
    json.dump({k: v for k, v in locals().items() if isinstance(v, str)}, open(STATE, "w"))
    print("ok: state saved")


def after():
    s = json.load(open(STATE))
    sfn.send_task_heartbeat(taskToken=s["hb_tok"])
    t = take(s["act"], "after")
    check(json.loads(t["input"]) == {"n": 2}, "the queued activity task is delivered after restart")
    sfn.send_task_success(taskToken=t["taskToken"], output='"q"')
    sfn.send_task_success(taskToken=s["taken"], output='"t"')
    sfn.send_task_success(taskToken=s["cb_tok"], output='"c"')
    sfn.send_task_failure(taskToken=s["fail_tok"], error="Late", cause="after restart")
    sfn.send_task_success(taskToken=s["hb_tok"], output='"h"')
    check(wait_done(s["queued_exec"])["output"] == '"q"', "queued activity task after restart")
    check(wait_done(s["taken_exec"])["output"] == '"t"', "taken activity token after restart")
    check(wait_done(s["cb_exec"])["output"] == '"c"', "callback token after restart")
    check(wait_done(s["fail_exec"])["error"] == "Late", "callback failure after restart")
    check(wait_done(s["hb_exec"])["output"] == '"h"', "heartbeat after restart")
    check(wait_done(s["hbt_exec"])["error"] == "States.Timeout",
          "heartbeat timeout fires after restart")
    check(error_code(sfn.send_task_success, taskToken=s["hbt_tok"], output="{}")
          == "TaskTimedOut", "its token answers TaskTimedOut")
    check(wait_done(s["slow_exec"])["error"] == "States.Timeout",
          "an activity heartbeat timeout fires after restart")
    check(error_code(sfn.send_task_heartbeat, taskToken=s["slow_tok"]) == "TaskTimedOut",
          "the silent worker's token answers TaskTimedOut after restart")
    o1 = json.loads(wait_done(s["p1"])["output"])
    check(o1["Status"] == "SUCCEEDED" and o1["Output"] == '{"x":1}', ".sync after restart")
    o2 = json.loads(wait_done(s["p2"])["output"])
    check(o2["Output"] == {"x": 2}, ".sync:2 after restart")
    for k in ["queued_exec", "taken_exec", "cb_exec", "hb_exec", "slow_exec", "p1", "p2"]:
        ids = [e["id"] for e in sfn.get_execution_history(executionArn=s[k])["events"]]
        check(ids == list(range(1, len(ids) + 1)), f"{k}: every event once")
    for k in ["p1", "p2"]:
        check(history_types(s[k]).count("TaskSubmitted") == 1, f"{k}: TaskSubmitted once")


{"live": live, "before": before, "after": after}[PHASE]()
print("all checks passed")
