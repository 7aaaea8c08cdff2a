#!/usr/bin/env python3
"""A local HTTPS receiver for Vigil's alert webhooks (Standard Webhooks format), for the demo.

Verifies each delivery's signature the way a receiver must (HMAC-SHA256 over
"{webhook-id}.{webhook-timestamp}.{body}" with the shared whsec_ secret, constant-time compare,
timestamp within 5 minutes), appends one JSON line per delivery to --out, answers 204 (401 when the
signature does not verify). Listens on 127.0.0.1 only; writes the port it bound to --port-file.

  webhook-receiver.py --cert C --key K --secret-file F --out deliveries.ndjson --port-file port
"""
import argparse, base64, hashlib, hmac, json, ssl, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--cert", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--secret-file", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--port-file", required=True)
args = parser.parse_args()
secret = open(args.secret_file).read().strip()
key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = min(int(self.headers.get("Content-Length", "0")), 1 << 20)
        body = self.rfile.read(length)
        wid = self.headers.get("webhook-id", "")
        stamp = self.headers.get("webhook-timestamp", "0")
        signed = f"{wid}.{stamp}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        offered = [s.split(",", 1)[1] for s in self.headers.get("webhook-signature", "").split() if s.startswith("v1,")]
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 300
        verified = fresh and any(hmac.compare_digest(expected, s) for s in offered)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        with open(args.out, "a") as out:
            out.write(json.dumps({"webhook_id": wid, "verified": verified, "payload": payload}, ensure_ascii=False) + "\n")
        self.send_response(204 if verified else 401)
        self.end_headers()

    def log_message(self, *_):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(args.cert, args.key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(args.port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
