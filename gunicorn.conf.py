"""gunicorn's settings, read from the project folder (`make serve`).

Threaded workers: a download of a large selection streams for as long as it
takes (minutes for hundreds of thousands of claims), and a thread serving it
does not stop the worker from reporting that it is alive. A synchronous
worker would be taken for hung after `timeout` seconds and killed mid-file.
"""

worker_class = "gthread"
threads = 4
