"""``python -m backend.wechat.simulator [--host H] [--port P] [--appid A] [--secret S]``."""
from __future__ import annotations

import argparse

from config.settings import DEV_WECHAT_APPID, DEV_WECHAT_SECRET

from . import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backend.wechat.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5100)
    parser.add_argument("--appid", default=DEV_WECHAT_APPID)
    parser.add_argument("--secret", default=DEV_WECHAT_SECRET)
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.appid, args.secret)


if __name__ == "__main__":
    main()
