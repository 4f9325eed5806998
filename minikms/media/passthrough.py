"""PassThroughNode: forwards whatever reaches its input to every connected sink."""

from __future__ import annotations

from .node import KINDS, MediaEngine, MediaNode


class PassThroughNode(MediaNode):
    def __init__(self, engine: MediaEngine) -> None:
        super().__init__(engine)
        for kind in KINDS:
            self.outputs[kind].set_source(self.inputs[kind])
