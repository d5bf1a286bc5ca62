"""An LTI 1.1 outcome service (the LMS side of grade passback) for Vouch's tests.

It checks every replaceResult request with oauthlib (PyPI), independently of Vouch's own
code: the OAuth1 HMAC-SHA1 signature in the Authorization header with the consumer
secret, the timestamp and nonce (a nonce seen twice fails), and the oauth_body_hash
against the body it received. It records what it got, readable as JSON at GET /_received.

  python3 outcome_receiver.py --key K --secret S [--fail-first N] [--fail-mode 500|failure|redirect|slow]

The first N requests are answered with a failure of the chosen kind (slow: after 3 s); later ones with
imsx_codeMajor success. Prints "listening on PORT" once ready (port chosen by the OS).
"""

import argparse
import base64
import hashlib
import json
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from oauthlib import oauth1
from oauthlib.oauth1.rfc5849 import utils

NS = "{http://www.imsglobal.org/services/ltiv1p1/xsd/imsoms_v1p0}"


class Validator(oauth1.RequestValidator):
    """Knows one consumer; remembers nonces."""

    def __init__(self, key, secret):
        super().__init__()
        self.key, self.secret, self.nonces = key, secret, set()

    enforce_ssl = False

    @property
    def allowed_signature_methods(self):
        return (oauth1.SIGNATURE_HMAC_SHA1,)

    def check_client_key(self, client_key):
        return bool(client_key)

    def check_nonce(self, nonce):
        return bool(nonce) and nonce.isalnum()

    def validate_client_key(self, client_key, request):
        return client_key == self.key

    def get_client_secret(self, client_key, request):
        return self.secret if client_key == self.key else "dummy"

    @property
    def dummy_client(self):
        return "dummy"

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, **kwargs):
        if (client_key, nonce) in self.nonces:
            return False
        self.nonces.add((client_key, nonce))
        return True


def answer(major, message_ref):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<imsx_POXEnvelopeResponse xmlns="http://www.imsglobal.org/services/ltiv1p1/xsd/imsoms_v1p0">'
        "<imsx_POXHeader><imsx_POXResponseHeaderInfo><imsx_version>V1.0</imsx_version>"
        "<imsx_messageIdentifier>r1</imsx_messageIdentifier><imsx_statusInfo>"
        f"<imsx_codeMajor>{major}</imsx_codeMajor><imsx_severity>status</imsx_severity>"
        f"<imsx_messageRefIdentifier>{message_ref}</imsx_messageRefIdentifier>"
        "<imsx_operationRefIdentifier>replaceResult</imsx_operationRefIdentifier>"
        "</imsx_statusInfo></imsx_POXResponseHeaderInfo></imsx_POXHeader>"
        "<imsx_POXBody><replaceResultResponse/></imsx_POXBody></imsx_POXEnvelopeResponse>"
    ).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-mode", choices=["500", "failure", "redirect", "slow"], default="500")
    args = ap.parse_args()
    endpoint = oauth1.SignatureOnlyEndpoint(Validator(args.key, args.secret))
    lock = threading.Lock()
    received = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, status, body, ctype="application/xml", extra=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            with lock:
                body = json.dumps(received).encode()
            self.reply(200, body, "application/json")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            auth = self.headers.get("Authorization", "")
            uri = f"http://{self.headers['Host']}{self.path}"
            headers = {"Authorization": auth, "Content-Type": self.headers.get("Content-Type", "")}
            valid, _ = endpoint.validate_request(uri, "POST", body.decode(), headers)
            oauth_params = {
                k: utils.unescape(v) for k, v in utils.parse_authorization_header(auth)
            } if auth.startswith("OAuth ") else {}
            expected_hash = base64.b64encode(hashlib.sha1(body).digest()).decode()
            body_hash_ok = oauth_params.get("oauth_body_hash") == expected_hash
            record = {
                "signature_valid": bool(valid),
                "body_hash_valid": body_hash_ok,
                "consumer_key": oauth_params.get("oauth_consumer_key"),
                "content_type": self.headers.get("Content-Type", ""),
            }
            try:
                root = ET.fromstring(body)
                record["sourcedid"] = root.find(f".//{NS}sourcedId").text
                record["score"] = root.find(f".//{NS}resultScore/{NS}textString").text
                record["operation"] = root.find(f"{NS}imsx_POXBody")[0].tag.replace(NS, "")
                message_id = root.find(f".//{NS}imsx_messageIdentifier").text
            except Exception as e:  # noqa: BLE001 - a malformed body is recorded, not fatal
                record["parse_error"] = str(e)
                message_id = ""
            with lock:
                failing = sum(1 for r in received if r["answered"] != "success") < args.fail_first
                record["answered"] = args.fail_mode if failing else "success"
                if not (valid and body_hash_ok):
                    record["answered"] = "refused"
                received.append(record)
            if record["answered"] == "refused":
                self.reply(401, answer("failure", message_id))
            elif record["answered"] == "500":
                self.reply(500, b"boom", "text/plain")
            elif record["answered"] == "failure":
                self.reply(200, answer("failure", message_id))
            elif record["answered"] == "slow":
                time.sleep(3)
                self.reply(200, answer("success", message_id))
            elif record["answered"] == "redirect":
                self.reply(302, b"", "text/plain", [("Location", "http://127.0.0.1:9/elsewhere")])
            else:
                self.reply(200, answer("success", message_id))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
