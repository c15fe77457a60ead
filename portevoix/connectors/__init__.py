"""Connectors: one package per social network, each a declarative plug-in on ``base.Connector``.

Not a Django app. Connectors never touch the database or settings and never retry: they take and return
frozen dataclasses (``types``), talk to the network through the ``httpx.Client`` they are given, and raise
the typed errors of ``errors``; the publishing engine owns the policy (retries, backoff, reconciliation).
"""
