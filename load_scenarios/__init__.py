"""Locust load for the platform: personas (``locustfile.py``), load shapes, thresholds,
and a runner that starts Locust as a subprocess.

Only ``locustfile.py`` imports Locust (which monkey-patches the process with gevent);
every other module here is plain Python, safe to import from asyncio programs.
"""
