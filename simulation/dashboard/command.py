"""The ``iesim dashboard`` subcommand: serve the workshop dashboard with Solara.

The server binds 127.0.0.1 unless ``--host`` says otherwise.  The page's
front-end assets come from Solara's local CDN cache, which ``make dashboard``
and ``make test`` fill at set-up time (``python -m simulation.dashboard.offline``);
nothing is fetched from the internet while it runs.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from simulation.errors import InputError

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_PORT = 8521


def register(subparsers) -> None:
    """Add ``dashboard`` to the ``iesim`` parser."""
    cmd = subparsers.add_parser(
        "dashboard", help="serve the workshop dashboard in the browser",
        description="Serve the Solara dashboard: levers, live outcomes side by side with the "
        "baseline, the partnership network; open http://HOST:PORT in a browser.")
    cmd.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for "
                     "a room's network)")
    cmd.add_argument("--port", type=int, default=DEFAULT_PORT,
                     help=f"port to listen on (default {DEFAULT_PORT})")
    cmd.add_argument("--idle-seconds", type=float, default=60.0,
                     help="pause and release a session whose browser has been away this long "
                     "(default 60); a reload within that time gets the run back")
    cmd.add_argument("--max-sessions", type=int, default=None,
                     help="sessions running at once; a browser beyond that gets a message "
                     "(default: six per core)")
    cmd.add_argument("--workers", type=int, default=None,
                     help="worker processes that step and draw the sessions' models (default: "
                     "one per core; 0: all in the server process)")
    cmd.add_argument("--room", action="store_true",
                     help="room mode: participants predict before Play, and a facilitator page "
                     "(its address with a token is printed at start) lists every session and "
                     "exports the room's settings as a batch")
    cmd.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Run the Solara server until interrupted."""
    if not 1 <= args.port <= 65535:
        raise InputError("--port", "--port", f"--port must be an integer in [1, 65535]; "
                         f"got {args.port}")
    if not args.host.strip():
        raise InputError("--host", "--host", "--host must be an address, such as 127.0.0.1")
    if not 1 <= args.idle_seconds <= 86_400:
        raise InputError("--idle-seconds", "--idle-seconds", "--idle-seconds must be a number "
                         f"in [1, 86400]; got {args.idle_seconds}")
    if args.max_sessions is not None and not 1 <= args.max_sessions <= 10_000:
        raise InputError("--max-sessions", "--max-sessions", "--max-sessions must be an integer "
                         f"in [1, 10000]; got {args.max_sessions}")
    workers = (os.cpu_count() or 1) if args.workers is None else args.workers
    if not 0 <= workers <= 256:
        raise InputError("--workers", "--workers", "--workers must be an integer in [0, 256]; "
                         f"got {workers}")
    command = [sys.executable, "-m", "solara", "run", str(APP), "--host", args.host,
               "--port", str(args.port), "--production", "--no-open"]
    print(f"iesim dashboard: http://{args.host}:{args.port} (Ctrl-C to stop)", file=sys.stderr,
          flush=True)
    if args.room:
        token = secrets.token_urlsafe(16)
        os.environ["IESIM_DASHBOARD_ROOM"] = "1"
        os.environ["IESIM_DASHBOARD_ROOM_TOKEN"] = token
        print(f"facilitator's room page: http://{args.host}:{args.port}/room?token={token} "
              "(keep it to yourself)", file=sys.stderr, flush=True)
    # Solara's server reports usage to mixpanel.com unless told not to: nothing leaves this
    # machine at run time.  The server replaces this process, so signals reach it directly.
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"  # it covered the last figure
    # A page's kernel goes when its browser has been away as long as its session may wait.
    os.environ["SOLARA_KERNEL_CULL_TIMEOUT"] = f"{args.idle_seconds:g}s"
    os.environ["IESIM_DASHBOARD_IDLE_SECONDS"] = f"{args.idle_seconds:g}"
    os.environ["IESIM_DASHBOARD_WORKERS"] = str(workers)
    os.environ["IESIM_DASHBOARD_SERVER"] = "1"
    if args.max_sessions is not None:
        os.environ["IESIM_DASHBOARD_MAX_SESSIONS"] = str(args.max_sessions)
    os.execv(sys.executable, command)
    return 0  # not reached
