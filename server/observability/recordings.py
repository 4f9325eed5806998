"""Recordings in progress and recording failures, from the recording status events of the event bus.

The recording module publishes ``RecordingStarted``, ``RecordingStatusChanged`` and ``RecordingStopped``
(:mod:`server.core.events`). :class:`RecordingEvents` follows them and is the :class:`RecordingSource` of the
collector; anything else that knows the recordings can be one too. A recording is in progress from
``recordingStarted`` or a ``starting``/``started`` status until ``recordingStopped`` or an end status
(``stopped``, ``ready``, ``available``, ``failed``); every ``failed`` status counts one failure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from server.core.events import (
    Event,
    RecordingInfo,
    RecordingStarted,
    RecordingStatusChanged,
    RecordingStopped,
)

OUTPUT_MODES = ("COMPOSED", "INDIVIDUAL")
"""Output modes always reported (zero when idle), so dashboards have series before the first recording."""
IN_PROGRESS_STATUSES = frozenset({"starting", "started"})
FAILED_STATUS = "failed"
MAX_TRACKED = 10_000
"""Recordings followed at once at most (bounded memory if end events were ever lost)."""


class RecordingSource(Protocol):
    def in_progress(self) -> Mapping[str, int]:
        """Recordings in progress by output mode."""
        ...

    def failures(self) -> Mapping[str, int]:
        """Recording failures since the start, by output mode."""
        ...


class RecordingEvents:
    """A :class:`RecordingSource` fed by the event bus (subscribe :meth:`handle`)."""

    def __init__(self) -> None:
        self._active: dict[str, str] = {}  # recording id -> output mode
        self._failures: Counter[str] = Counter()

    def handle(self, event: Event) -> None:
        if isinstance(event, RecordingStarted):
            self._start(event.recording)
        elif isinstance(event, RecordingStatusChanged):
            status = event.recording.status
            if status in IN_PROGRESS_STATUSES:
                self._start(event.recording)
            else:
                self._active.pop(event.recording.id, None)
                if status == FAILED_STATUS:
                    self._failures[event.recording.output_mode] += 1
        elif isinstance(event, RecordingStopped):
            self._active.pop(event.recording.id, None)

    def _start(self, recording: RecordingInfo) -> None:
        if recording.id in self._active or len(self._active) < MAX_TRACKED:
            self._active[recording.id] = recording.output_mode

    def in_progress(self) -> Mapping[str, int]:
        return Counter(self._active.values())

    def failures(self) -> Mapping[str, int]:
        return dict(self._failures)


class RecordingsCollector(Collector):
    def __init__(self, source: RecordingSource) -> None:
        self.source = source

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        active = GaugeMetricFamily(
            "openvidu_recordings_in_progress",
            "Recordings in progress, by output mode",
            labels=["output_mode"],
        )
        failed = CounterMetricFamily(
            "openvidu_recording_failures", "Recordings that failed, by output mode", labels=["output_mode"]
        )
        in_progress, failures = self.source.in_progress(), self.source.failures()
        for mode in sorted(set(OUTPUT_MODES) | set(in_progress) | set(failures)):
            active.add_metric([mode], in_progress.get(mode, 0))
            failed.add_metric([mode], failures.get(mode, 0))
        yield active
        yield failed
