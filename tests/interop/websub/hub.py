"""A real third-party WebSub hub for the interop tests: flask-websub 0.4.1's hub, unchanged,
mounted at /hub of a Flask app on 127.0.0.1, with Celery in eager mode (no broker, no worker:
verification and delivery run inside the hub's own request handler).

    .venv/bin/python hub.py [PORT]        # first stdout line: "READY <port>"

PORT (argument or env PORT, default 0 = a free port). Other environment:

  HUB_SIGNATURE_ALGORITHM  sha512 (flask-websub's default) | sha1 | sha256 | sha384
  HUB_REQUEST_TIMEOUT      seconds per outgoing request (default 3, flask-websub's)
  HUB_MAX_ATTEMPTS         delivery retries (default 10, flask-websub's; eager = no back-off)
  HUB_DB                   sqlite file for subscriptions (default: a fresh temp dir)
  STDIN_WATCH=1            exit when stdin reaches EOF (spawn with a piped stdin so that a
                           dying test cannot leave the hub behind)
  DEBUG=1                  Werkzeug's request log and flask-websub's warnings on stderr

Besides the hub, a small control API (JSON) for the tests:

  GET /_control/ready          200 {"ready": true, "hub": URL}
  GET /_control/subscriptions  the hub's storage: [{topic, callback, has_secret, secret,
                               expires_in}]
  GET /_control/errors         task failures flask-websub raised (eager mode swallows them:
                               the publish ping still gets 202), e.g. the missing-Link error
  GET /_control/warnings       flask-websub's own warnings (failed verification, failed push)
"""

import logging
import os
import sqlite3
import sys
import tempfile
import threading

from celery import Celery
from celery.signals import task_failure
from flask import Flask, jsonify
from flask_websub.hub import Hub, SQLite3HubStorage
from werkzeug.serving import make_server


def env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else env_int("PORT", 0)
    debug = os.environ.get("DEBUG") == "1"
    db = os.environ.get("HUB_DB") or os.path.join(
        tempfile.mkdtemp(prefix="flask-websub-"), "hub.sqlite3"
    )

    app = Flask("flask_websub_interop_hub")
    # Read by the blueprint from the app config: allow `hub.mode=publish` pings.
    app.config["PUBLISH_SUPPORTED"] = True

    celery = Celery("flask_websub_interop_hub")
    celery.conf.update(task_always_eager=True, task_eager_propagates=False)

    hub = Hub(
        SQLite3HubStorage(db),
        celery,
        SIGNATURE_ALGORITHM=os.environ.get("HUB_SIGNATURE_ALGORITHM", "sha512"),
        REQUEST_TIMEOUT=env_int("HUB_REQUEST_TIMEOUT", 3),
        MAX_ATTEMPTS=env_int("HUB_MAX_ATTEMPTS", 10),
    )
    app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))

    errors = []
    warnings = []
    lock = threading.Lock()

    @task_failure.connect
    def on_failure(sender=None, exception=None, **_):
        with lock:
            errors.append(
                {
                    "task": getattr(sender, "name", str(sender)),
                    "error": type(exception).__name__,
                    "message": str(exception),
                }
            )

    class Keep(logging.Handler):
        def emit(self, record):
            with lock:
                warnings.append(
                    {
                        "message": record.getMessage(),
                        "error": repr(record.exc_info[1]) if record.exc_info else None,
                    }
                )

    websub_log = logging.getLogger("flask_websub")
    websub_log.addHandler(Keep())
    websub_log.propagate = debug
    if not debug:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = make_server("127.0.0.1", port, app, threaded=True)
    base = "http://127.0.0.1:%d" % server.server_port

    @app.get("/_control/ready")
    def ready():
        return jsonify(ready=True, hub=base + "/hub")

    @app.get("/_control/subscriptions")
    def subscriptions():
        con = sqlite3.connect(db)
        try:
            rows = con.execute(
                "select topic_url, callback_url, secret,"
                " expiration_time - strftime('%s', 'now') from hub"
                " order by topic_url, callback_url"
            ).fetchall()
        finally:
            con.close()
        return jsonify(
            [
                {
                    "topic": t,
                    "callback": c,
                    "has_secret": bool(s),
                    "secret": s,
                    "expires_in": e,
                }
                for (t, c, s, e) in rows
            ]
        )

    @app.get("/_control/errors")
    def get_errors():
        with lock:
            return jsonify(list(errors))

    @app.get("/_control/warnings")
    def get_warnings():
        with lock:
            return jsonify(list(warnings))

    if os.environ.get("STDIN_WATCH") == "1":

        def watch():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            finally:
                os._exit(0)

        threading.Thread(target=watch, daemon=True).start()

    print("READY %d" % server.server_port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
