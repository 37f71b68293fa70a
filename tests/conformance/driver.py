#!/usr/bin/env python3
"""The client command for the official MCP conformance suite.

The runner starts this with the server URL as the last argument. It starts
`mcp-auth bridge URL` (the binary in $MCP_AUTH_BIN) in a throwaway
MCP_AUTH_HOME, with a "browser" that follows the authorization redirect,
passes the credentials of $MCP_CONFORMANCE_CONTEXT through the bridge's
options (secrets through the environment, keys through a file), and speaks
MCP over the bridge's stdio like any MCP host: initialize, initialized,
tools/list, tools/call. It answers the server's own requests (elicitation,
sampling, roots, ping) the way a cooperative client would. Exit status 0
when every request got a result.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import queue

PROTOCOL_VERSION = "2025-11-25"
CIMD_URL = "https://conformance-test.local/client-metadata.json"
TIMEOUT = 25


def log(msg):
    print(f"driver: {msg}", file=sys.stderr, flush=True)


def bridge_command(url, home):
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("MCP_AUTH_") and key != "MCP_AUTH_BIN":
            del env[key]
    env.update(
        MCP_AUTH_HOME=home,
        MCP_AUTH_SECRET_STORE="file",
        MCP_AUTH_BROWSER="curl -fsSL -o /dev/null --max-time 20",
        MCP_AUTH_LOG=os.environ.get("MCP_AUTH_LOG", "info"),
    )
    args = [os.environ["MCP_AUTH_BIN"], "bridge", url, "--client-metadata-url", CIMD_URL]
    if "client_id" in context:
        args += ["--client-id", context["client_id"]]
    if "client_secret" in context:
        env["CONFORMANCE_CLIENT_SECRET"] = context["client_secret"]
        args += ["--client-secret-env", "CONFORMANCE_CLIENT_SECRET"]
    if "private_key_pem" in context:
        key = os.path.join(home, "client-key.pem")
        with open(key, "w") as f:
            f.write(context["private_key_pem"])
        args += ["--private-key-file", key]
        if context.get("signing_algorithm"):
            args += ["--signing-alg", context["signing_algorithm"]]
    if scenario.startswith("auth/client-credentials"):
        args += ["--grant", "client-credentials"]
    if "idp_id_token" in context:
        env["CONFORMANCE_ID_TOKEN"] = context["idp_id_token"]
        args += [
            "--grant", "cross-app",
            "--idp-token-url", context["idp_token_endpoint"],
            "--idp-client-id", context["idp_client_id"],
            "--id-token-env", "CONFORMANCE_ID_TOKEN",
        ]
    if "valid_jwt" in context:
        # Workload identity: the platform's token in a file, as a CI runner
        # or a pod has it.
        token = os.path.join(home, "identity-token")
        with open(token, "w") as f:
            f.write(context["valid_jwt"])
        args += ["--grant", "jwt-bearer", "--assertion-file", token]
    return args, env


def defaults_for(schema):
    """Content for an elicitation: each property's default, else a value of its type."""
    out = {}
    for name, prop in (schema or {}).get("properties", {}).items():
        if "default" in prop:
            out[name] = prop["default"]
        elif prop.get("enum"):
            out[name] = prop["enum"][0]
        else:
            out[name] = {"string": "x", "integer": 1, "number": 1, "boolean": True}.get(
                prop.get("type"), "x"
            )
    return out


def arguments_for(tool):
    schema = tool.get("inputSchema") or {}
    props = schema.get("properties", {})
    args = {}
    for name in schema.get("required", []):
        kind = props.get(name, {}).get("type")
        args[name] = {"number": 2, "integer": 2, "boolean": True}.get(kind, "x")
    return args


class Client:
    def __init__(self, proc):
        self.proc = proc
        self.responses = queue.Queue()
        self.lock = threading.Lock()
        threading.Thread(target=self.read, daemon=True).start()

    def send(self, msg):
        with self.lock:
            self.proc.stdin.write(json.dumps(msg) + "\n")
            self.proc.stdin.flush()

    def read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                log(f"not JSON on the bridge's stdout: {line[:200]}")
                continue
            if "method" in msg and "id" in msg:
                self.answer(msg)
            elif "method" in msg:
                pass  # a notification (progress, logging, list changes)
            else:
                self.responses.put(msg)
        self.responses.put(None)

    def answer(self, req):
        method = req["method"]
        if method == "elicitation/create":
            schema = req.get("params", {}).get("requestedSchema")
            result = {"action": "accept", "content": defaults_for(schema)}
        elif method == "sampling/createMessage":
            result = {
                "role": "assistant",
                "content": {"type": "text", "text": "ok"},
                "model": "conformance-driver",
                "stopReason": "endTurn",
            }
        elif method == "roots/list":
            result = {"roots": []}
        else:
            result = {}
        self.send({"jsonrpc": "2.0", "id": req["id"], "result": result})

    def request(self, rid, method, params=None):
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        while True:
            try:
                resp = self.responses.get(timeout=TIMEOUT)
            except queue.Empty:
                raise RuntimeError(f"no answer to {method} within {TIMEOUT}s")
            if resp is None:
                raise RuntimeError(f"the bridge closed stdout before answering {method}")
            if resp.get("id") == rid:
                if "error" in resp:
                    raise RuntimeError(f"{method} failed: {json.dumps(resp['error'])[:500]}")
                return resp["result"]


def main():
    url = sys.argv[-1]
    home = tempfile.mkdtemp(prefix="mcp-auth-conformance-")
    args, env = bridge_command(url, home)
    log("running " + " ".join(a if not a.endswith(".pem") else "KEY" for a in args))
    proc = subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1
    )
    client = Client(proc)
    ok = True
    try:
        init = client.request(
            1,
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {"sampling": {}, "elicitation": {}, "roots": {}},
                "clientInfo": {"name": "mcp-auth-conformance-driver", "version": "1.0.0"},
            },
        )
        log(f"initialized: {json.dumps(init.get('serverInfo'))}")
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        tools = client.request(2, "tools/list", {}).get("tools", [])
        log(f"tools: {[t.get('name') for t in tools]}")
        if tools:
            tool = tools[0]
            result = client.request(
                3, "tools/call", {"name": tool["name"], "arguments": arguments_for(tool)}
            )
            log(f"tools/call: {json.dumps(result)[:300]}")
    except Exception as e:  # the runner reads our exit status
        log(str(e))
        ok = False
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log("the bridge did not exit after stdin closed")
            proc.kill()
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
