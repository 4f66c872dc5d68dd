#!/usr/bin/python3
# provider.py - a scripted OAuth2 provider for the scenario tests: HTTPS
# on 127.0.0.1 (an ephemeral port) with the test CA's server certificate.
#
#   POST /device     RFC 8628 §3.1 device authorization
#   POST /token      RFC 6749 §6 refresh_token, §4.1.3 authorization_code
#                    (PKCE S256 checked, RFC 7636 §4.6), RFC 8628 §3.4
#                    device_code
#   GET  /authorize  approves at once: 302 to redirect_uri?code=&state=
#
# What it answers is read, at every request, from the control file
# (key=value lines):
#   expires_in=N        lifetime of the access tokens issued (3600)
#   refresh=MODE        rotate (default: a new refresh token each time,
#                       the old one stays good), strict (a used refresh
#                       token is revoked), keep (no new refresh token),
#                       invalid_grant, invalid_client, 500, stall
#   device=A,B,...      answers to successive device polls: pending,
#                       slow_down, approved, expired_token, denied
#   interval=N          the device flow's interval (1)
#   token=MODE          ok, invalid_grant, 500 for the code and device grants
#   token_len=N         pad access tokens to N characters (Microsoft's are
#                       2-3 KB: too long for an AUTH line with the token)
# Every request is logged as one JSON line to the log file; every access
# token issued is appended to the tokens file as "TOKEN EXPIRY" for
# testrelay -O.
import argparse, base64, hashlib, json, secrets, ssl, threading, time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
for o in ("cert", "key", "portfile", "log", "tokens", "control"):
    ap.add_argument("--" + o, required=True)
ap.add_argument("--lifetime", type=int, default=60)
args = ap.parse_args()

lock = threading.Lock()
state = {"n": 0, "polls": 0, "refresh": {}, "codes": {}, "devices": set()}


def control():
    c = {}
    try:
        with open(args.control) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    c[k] = v
    except FileNotFoundError:
        pass
    return c


def log(entry):
    with lock, open(args.log, "a") as f:
        f.write(json.dumps(entry) + "\n")


def issue(c, with_refresh=True, old_rt=None):
    """New tokens; the refresh token rotates unless refresh=keep."""
    with lock:
        state["n"] += 1
        n = state["n"]
        exp = int(c.get("expires_in", "3600"))
        at = "at-%d-%s" % (n, secrets.token_urlsafe(12))
        at += "x" * max(0, int(c.get("token_len", "0")) - len(at))
        with open(args.tokens, "a") as f:
            f.write("%s %d\n" % (at, int(time.time()) + exp))
        body = {"access_token": at, "token_type": "Bearer",
                "expires_in": exp, "scope": "https://mail.example/ offline"}
        if with_refresh:
            rt = "rt-%d-%s" % (n, secrets.token_urlsafe(12))
            state["refresh"][rt] = True
            body["refresh_token"] = rt
        return body


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, code, obj=None, headers=()):
        # A trailing newline, as many real endpoints send.
        data = json.dumps(obj).encode() + b"\n" if obj is not None else b""
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        log({"path": u.path, "method": "GET", "query": q})
        if u.path != "/authorize" or q.get("code_challenge_method") != "S256":
            return self.answer(400, {"error": "invalid_request"})
        code = "code-" + secrets.token_urlsafe(8)
        with lock:
            state["codes"][code] = (q["code_challenge"], q["redirect_uri"])
        loc = "%s?code=%s&state=%s" % (q["redirect_uri"], code,
                                       urllib.parse.quote(q["state"]))
        self.answer(302, None, [("Location", loc)])

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        f = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
        c = control()
        log({"path": self.path, "method": "POST", "form": f,
             "time": time.time(), "proxy": self.headers.get("Via")})
        if self.path == "/device":
            dc = "dc-" + secrets.token_urlsafe(8)
            with lock:
                state["devices"].add(dc)
            return self.answer(200, {
                "device_code": dc, "user_code": "WDJB-MJHT",
                "verification_uri": "https://127.0.0.1/verify",
                "expires_in": 600, "interval": int(c.get("interval", "1"))})
        if self.path != "/token":
            return self.answer(404, {"error": "not_found"})
        g = f.get("grant_type")
        if g == "refresh_token":
            return self.refresh(f, c)
        tm = c.get("token", "ok")
        if tm == "500":
            return self.answer(500, {"error": "server_error"})
        if tm == "invalid_grant":
            return self.answer(400, {"error": "invalid_grant"})
        if g == "urn:ietf:params:oauth:grant-type:device_code":
            return self.device(f, c)
        if g == "authorization_code":
            return self.code(f, c)
        return self.answer(400, {"error": "unsupported_grant_type"})

    def refresh(self, f, c):
        m = c.get("refresh", "rotate")
        if m == "stall":
            time.sleep(30)
            return
        if m == "500":
            return self.answer(500, {"error": "server_error"})
        if m in ("invalid_grant", "invalid_client"):
            return self.answer(400 if m == "invalid_grant" else 401,
                               {"error": m, "error_description": "scripted"})
        rt = f.get("refresh_token")
        with lock:
            known = state["refresh"].get(rt, False)
            if known and m == "strict":
                state["refresh"][rt] = False
        if not known:
            return self.answer(400, {"error": "invalid_grant",
                                     "error_description": "unknown or "
                                     "already used refresh token"})
        self.answer(200, issue(c, with_refresh=(m != "keep")))

    def device(self, f, c):
        seq = c.get("device", "approved").split(",")
        with lock:
            i = state["polls"]
            state["polls"] += 1
        a = seq[min(i, len(seq) - 1)]
        if f.get("device_code") not in state["devices"]:
            return self.answer(400, {"error": "invalid_grant"})
        if a == "approved":
            return self.answer(200, issue(c))
        errs = {"pending": "authorization_pending", "slow_down": "slow_down",
                "expired_token": "expired_token", "denied": "access_denied"}
        self.answer(400, {"error": errs[a]})

    def code(self, f, c):
        with lock:
            ch = state["codes"].pop(f.get("code"), None)
        v = f.get("code_verifier", "").encode()
        want = base64.urlsafe_b64encode(hashlib.sha256(v).digest())
        if (ch is None or want.rstrip(b"=").decode() != ch[0] or
                f.get("redirect_uri") != ch[1]):
            return self.answer(400, {"error": "invalid_grant",
                                     "error_description": "PKCE"})
        self.answer(200, issue(c))


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(args.cert, args.key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
threading.Timer(args.lifetime, srv.shutdown).start()
with open(args.portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(args.portfile + ".tmp", args.portfile)
srv.serve_forever()
