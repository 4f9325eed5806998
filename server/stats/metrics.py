"""The Prometheus registry of ``GET /metrics``: process CPU and memory, and gauges for the gathered host stats.

:mod:`server.observability` adds the server's own figures to the same registry.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Gauge, ProcessCollector, generate_latest

from server.core.clock import now_ms
from server.stats.host import HostSample

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class StatsMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds... of this process
        ProcessCollector(registry=self.registry)
        self.cpu = Gauge(
            "openvidu_host_cpu_percent", "Host CPU use, percent of all cores", registry=self.registry
        )
        self.mem_used = Gauge("openvidu_host_memory_used_bytes", "Host memory in use", registry=self.registry)
        self.mem_total = Gauge("openvidu_host_memory_total_bytes", "Host memory", registry=self.registry)
        self.net_sent = Gauge(
            "openvidu_host_net_sent_bytes_per_second", "Host send rate", registry=self.registry
        )
        self.net_recv = Gauge(
            "openvidu_host_net_recv_bytes_per_second", "Host receive rate", registry=self.registry
        )
        self.endpoints = Gauge(
            "openvidu_webrtc_endpoints", "WebRTC endpoints sampled", registry=self.registry
        )
        self.samples = Gauge(
            "openvidu_stats_last_sample_timestamp_ms",
            "Time of the last sample",
            ["kind"],
            registry=self.registry,
        )

    def observe_host(self, sample: HostSample) -> None:
        self.cpu.set(sample.cpu)
        self.mem_used.set(sample.mem_used)
        self.mem_total.set(sample.mem_total)
        self.net_sent.set(sample.net_sent_rate)
        self.net_recv.set(sample.net_recv_rate)
        self.samples.labels("host").set(sample.timestamp)

    def observe_webrtc(self, endpoints: list[dict[str, Any]]) -> None:
        self.endpoints.set(len(endpoints))
        self.samples.labels("webrtc").set(now_ms())

    def render(self) -> bytes:
        return generate_latest(self.registry)
