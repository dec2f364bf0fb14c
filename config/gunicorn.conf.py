"""gunicorn's settings for `make serve` and production (`gunicorn -c config/gunicorn.conf.py
config.wsgi`). Every value can be changed from the environment without editing this file."""

import os

bind = os.environ.get("PFDO_BIND", "127.0.0.1:8000")
# Sync workers: a request holds one worker; PostgreSQL's row locks, not the worker count,
# decide what waits. 2–4 per core is gunicorn's advice.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
# A request that runs longer is a bug (long work is a background job): the worker is
# killed and replaced, the request's transaction rolls back.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycled now and then so a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# The application is loaded in each worker (after fork): each opens its own connections.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Behind a proxy on the same machine (nginx); set FORWARDED_ALLOW_IPS for one elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "pfdo-web"
# gunicorn's control socket (gunicornc) is not used; one path per user would be shared by every
# gunicorn of the machine (the tests', the benchmarks', `make serve`).
control_socket_disable = True
