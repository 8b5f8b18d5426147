"""gunicorn settings for a production node: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``."""

import multiprocessing
import os

bind = os.environ.get("HOCLIEU_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HOCLIEU_WEB_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("HOCLIEU_WEB_THREADS", 4))
worker_class = "gthread"
# Autosaves are small and frequent: keep connections alive behind the load balancer.
keepalive = 30
timeout = 60
graceful_timeout = 30
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
forwarded_allow_ips = os.environ.get("HOCLIEU_FORWARDED_ALLOW_IPS", "127.0.0.1")
