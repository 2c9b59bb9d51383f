"""A stand-in Docker Engine for bench/cluster.sh: serves over a unix socket what a manager's
dockerd 20.10.24 serves (status lines, headers, chunked bodies), built from a real capture
(../shared/fixtures/engine-api/SCENARIO/manager1): /_ping (GET and HEAD, as the docker CLI asks),
/version, /info, /swarm, and /nodes with NODES node objects, copies of the captured ones, each
with its own ID, hostname and address (the first keeps the leader's ID: /info names it). Any API
version prefix is accepted. Logs each request line to LOG, so the bench shows what each client
asked. Prints "ready ..." once it listens.

usage: python3 bench/engine_stub.py CAPTURE_DIR NODES SOCKET LOG"""
import copy, json, os, socketserver, sys
from http.server import BaseHTTPRequestHandler

capture, count, sock_path, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def load(name):
    with open(os.path.join(capture, name), "rb") as f:
        return f.read()


def go_json(value):  # as Go's json.Encoder writes it: compact, HTML-escaped, one newline
    text = json.dumps(value, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n").encode()


def base36(n, width):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")


captured = json.loads(load("nodes.json"))
leader = next(n for n in captured if (n.get("ManagerStatus") or {}).get("Leader"))
workers = [n for n in captured if "ManagerStatus" not in n]
managers = min(3, count)
nodes = []
for i in range(count):
    if i == 0:
        node = copy.deepcopy(leader)  # keeps its ID: /info's NodeID names it
    elif i < managers:
        node = copy.deepcopy(leader)
        node["ManagerStatus"] = {"Leader": False, "Reachability": "reachable"}
    else:
        node = copy.deepcopy(workers[i % len(workers)])
    addr = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
    if i > 0:
        node["ID"] = "bench" + base36(i, 20)
        if "ManagerStatus" in node:
            node["ManagerStatus"]["Addr"] = f"{addr}:2377"
    node["Description"]["Hostname"] = f"node-{i:05d}"
    node["Status"]["Addr"] = addr
    nodes.append(node)

info = json.loads(load("info.json"))
info["Swarm"]["Nodes"], info["Swarm"]["Managers"] = count, managers
server_header = next(line.split(": ", 1)[1] for line in load("ping.headers").decode().splitlines()
                     if line.startswith("Server: "))
# path -> (body, content type, chunked): chunked where the engine chunks (/nodes, /info).
replies = {
    "/_ping": (load("ping.json"), "text/plain; charset=utf-8", False),
    "/version": (load("version.json"), "application/json", False),
    "/info": (go_json(info), "application/json", True),
    "/swarm": (load("swarm.json"), "application/json", False),
    "/nodes": (go_json(nodes), "application/json", True),
}
# Go's json.Encoder hands net/http the whole document in one Write: one chunk, then the last.
# Framed once here, so that serving costs the stub a write, not a copy.
framed = {path: b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
          for path, (body, _, chunked) in replies.items() if chunked}
not_found = go_json({"message": "page not found"})
log = open(log_path, "a", buffering=1)


class Engine(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return server_header

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype, chunked, head=False):
        self.send_response(status)
        self.send_header("Api-Version", "1.41")
        if self.path_only == "/_ping":
            self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
        self.send_header("Docker-Experimental", "false")
        self.send_header("Ostype", "linux")
        if self.path_only == "/_ping":
            self.send_header("Pragma", "no-cache")
        self.send_header("Content-Type", ctype)
        if chunked and not head:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(framed[self.path_only])
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

    def answer(self, head=False):
        path = self.path.split("?", 1)[0]
        log.write(f"{self.command} {self.path}\n")
        if "/" in self.headers.get("Host", ""):
            self.path_only = ""
            return self.reply(400, b"400 Bad Request: malformed Host header", "text/plain; charset=utf-8", False, head)
        # /v1.41/nodes -> /nodes; the version is ignored as the engine ignores it within range.
        parts = path.split("/", 2)
        if len(parts) == 3 and parts[1].startswith("v") and parts[1][1:2].isdigit():
            path = "/" + parts[2]
        self.path_only = path
        if path in replies:
            self.reply(200, *replies[path], head=head)
        else:
            self.reply(404, not_found, "application/json", False, head)

    def do_GET(self):
        self.answer()

    def do_HEAD(self):
        self.answer(head=True)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):  # AF_UNIX peers have no address: BaseHTTPRequestHandler wants one
        conn, _ = self.socket.accept()
        return conn, ("unix", 0)


if os.path.exists(sock_path):
    os.unlink(sock_path)
server = Server(sock_path, Engine)
print(f"ready {count} nodes, /nodes {len(replies['/nodes'][0])} bytes", flush=True)
server.serve_forever()
