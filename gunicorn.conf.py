"""gunicorn settings for production; gunicorn reads this file from the working directory.

Run from the project root: ``gunicorn`` (or ``gunicorn -c gunicorn.conf.py``). The same
environment as the Django settings, plus:

- ``PORT``: the port to listen on, on all interfaces (default 8000).
- ``WEB_CONCURRENCY``: worker processes (default 2 x CPUs + 1).
- ``GUNICORN_THREADS``: threads per worker (default 1: plain sync workers).
- ``GUNICORN_TIMEOUT``: seconds before a silent worker is restarted (default 30).
- ``FORWARDED_ALLOW_IPS``: the addresses of the reverse proxies trusted to say a request
  came in over HTTPS (X-Forwarded-Proto), comma-separated; "*" only when nothing but the
  proxy can reach gunicorn. Default 127.0.0.1,::1 (a proxy on the same machine). With it,
  ``request.is_secure()`` is right and SECURE_SSL_REDIRECT does not loop. It does not
  change the client address: set TRUSTED_PROXY_COUNT for X-Forwarded-For (see settings).
"""

import os

from smartbank.env import env_bool, env_int, env_str

wsgi_app = "smartbank.wsgi:application"
bind = [f"0.0.0.0:{env_int('PORT', 8000, minimum=1)}"]
workers = env_int("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0)) + 1, minimum=1)
threads = env_int("GUNICORN_THREADS", 1, minimum=1)
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then, at different times, so a slow leak never grows.
max_requests = 1000
max_requests_jitter = 100
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# RequestContextMiddleware logs every request as one JSON line with its id, user and
# duration; gunicorn's own access log would repeat each one without them.
accesslog = None
errorlog = "-"

# With JSON logs (the default when DEBUG is off), gunicorn's own lines (workers booting,
# timing out) are JSON too, so the log pipeline reads one format.
_log_format = env_str("LOG_FORMAT", "text" if env_bool("DEBUG", True) else "json")
if _log_format == "json":
    _json_handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["redact"],
        "stream": "ext://sys.stderr",
    }
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "smartbank.logging.RedactingFilter"}},
        "formatters": {"json": {"()": "smartbank.logging.JsonFormatter"}},
        "handlers": {"console": _json_handler, "error_console": _json_handler},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {
                "level": "INFO",
                "handlers": ["error_console"],
                # Django's LOGGING gives the root logger its own handler in each worker.
                "propagate": False,
                "qualname": "gunicorn.error",
            },
            # A logging config switches gunicorn's access log on; this keeps it silent.
            "gunicorn.access": {
                "level": "CRITICAL",
                "handlers": [],
                "propagate": False,
                "qualname": "gunicorn.access",
            },
        },
    }
