"""The development server scripts/run starts: Werkzeug's, as `flask run` would serve it,
without the banner of versions it sends by default ("Server: Werkzeug/3.1 Python/3.11"
tells a prober what to look up). Production is gunicorn (scripts/serve), whose banner is a
bare "gunicorn"."""
from __future__ import annotations

import argparse

from werkzeug.serving import WSGIRequestHandler, run_simple

from backend.app import create_app


class BareRequestHandler(WSGIRequestHandler):
    """Sends `Server: shaobao`, no names or versions of what runs underneath."""

    def version_string(self) -> str:
        return "shaobao"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m backend.devserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    run_simple(args.host, args.port, create_app(), threaded=True, use_reloader=False, use_debugger=False,
               request_handler=BareRequestHandler)


if __name__ == "__main__":
    main()
