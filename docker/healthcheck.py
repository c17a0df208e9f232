"""The web image's health check: GET a path of the daphne in this container; exit 0 on 200, else 1.

Without Django (a probe every few seconds must be cheap). It sends the first name of ALLOWED_HOSTS as
the Host header: Django answers 400 to a host it does not know, and the probe comes from 127.0.0.1.

    python docker/healthcheck.py /healthz
"""

import os
import sys
import urllib.error
import urllib.request


def probe_host(allowed_hosts: str) -> str:
    """A host name Django accepts: `.example.com` allows example.com itself, `*` anything."""
    for host in allowed_hosts.split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main(path: str) -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}{path}"
    request = urllib.request.Request(url, headers={"Host": probe_host(os.environ.get("ALLOWED_HOSTS", ""))})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        print(f"{url}: {error}")
        return 1
    print(f"{url}: {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/healthz"))
