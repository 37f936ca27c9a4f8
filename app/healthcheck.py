"""The image's HEALTHCHECK: exit 0 when the web server in this container answers its about page with 200.

The about page reads the database, so a web that cannot reach it is reported unhealthy (it answers 503).
"""

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("UVICORN_PORT", "8000")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/about", timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (OSError, urllib.error.URLError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
