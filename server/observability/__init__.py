"""Prometheus metrics of the running server (``GET /metrics``, and optionally a plain listener of its own).

The registry is the stats one (:class:`server.stats.metrics.StatsMetrics`: host samples, process CPU and memory);
this package adds what an operator watches: live session figures per media server, media servers' state and
load, REST latency, signaling requests and errors, the webhook queue and recordings. :mod:`server.assembly.metrics` wires it.
"""
