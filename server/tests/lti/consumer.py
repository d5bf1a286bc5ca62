"""An LTI 1.1 consumer for Vouch's tests, independent of Vouch's own OAuth code: it signs
launches with oauthlib (PyPI), as an LMS would.

Reads a JSON list of launches on stdin, each
  {"url", "key", "secret", "params": [[name, value], ...],
   "method": "HMAC-SHA1" (default) | "PLAINTEXT", "timestamp": optional, "nonce": optional}
and prints a JSON list of the signed form bodies (application/x-www-form-urlencoded).
"""

import json
import sys

from oauthlib import oauth1


def sign(launch):
    method = {"HMAC-SHA1": oauth1.SIGNATURE_HMAC_SHA1, "PLAINTEXT": oauth1.SIGNATURE_PLAINTEXT}[
        launch.get("method", "HMAC-SHA1")
    ]
    client = oauth1.Client(
        launch["key"],
        client_secret=launch["secret"],
        signature_method=method,
        signature_type=oauth1.SIGNATURE_TYPE_BODY,
        timestamp=launch.get("timestamp"),
        nonce=launch.get("nonce"),
    )
    params = [tuple(p) for p in launch["params"]]
    _, _, body = client.sign(
        launch["url"],
        http_method="POST",
        body=params,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return body


if __name__ == "__main__":
    print(json.dumps([sign(launch) for launch in json.load(sys.stdin)]))
