"""gunicorn's settings, read from the project folder (`make serve`).

Threaded workers: a download of a large selection streams for as long as it
takes (minutes for hundreds of thousands of claims), and a thread serving it
does not stop the worker from reporting that it is alive. A synchronous
worker would be taken for hung after `timeout` seconds and killed mid-file.

Each connection is closed after its response (keepalive = 0), so every
request goes to whichever worker accepts it first, a free one. A threaded
worker keeps the connections it has accepted: with keep-alive, one worker
served most of the 50 connections of a load test while the other idled
(half the requests per second, measured). Behind the proxy that ends TLS the
extra connection is a local one.

The application is loaded once, before the workers start and before the port
is opened, so every worker is ready when the first requests arrive. Nothing
connects to the database at import, so no connection is shared.
"""

worker_class = "gthread"
threads = 4
keepalive = 0
preload_app = True
