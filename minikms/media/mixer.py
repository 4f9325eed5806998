"""CompositeNode and HubPortNode: a mixer hub and its ports (first version: ports only, no mixing yet)."""

from __future__ import annotations

from .node import MediaEngine, MediaNode


class CompositeNode(MediaNode):
    def __init__(self, engine: MediaEngine) -> None:
        super().__init__(engine)
        self.ports: list[HubPortNode] = []


class HubPortNode(MediaNode):
    def __init__(self, engine: MediaEngine, hub: CompositeNode) -> None:
        super().__init__(engine)
        self.hub = hub
        hub.ports.append(self)
