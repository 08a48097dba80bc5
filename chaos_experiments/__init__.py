"""Chaos Toolkit experiments against the platform, the extension they use, and a runner.

``local/`` holds experiments for the platform started by ``harness up``; ``kubernetes/``
the same faults for the Helm chart. ``extension`` is the Chaos Toolkit extension
(actions and probes through the supervisor's control API and the services' fault
endpoints); ``runner`` runs one experiment the way the game day needs it.
"""
