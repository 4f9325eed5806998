"""Send-side bandwidth caps: an aiortc encoder's REMB-driven target bitrate kept within bounds."""

from __future__ import annotations

from typing import Any

_clamped_encoder_classes: dict[type, type] = {}


def clamp_encoder_bitrate(encoder: object, low_bps: int, high_bps: int) -> bool:
    """Keep an aiortc encoder's target bitrate (set by REMB) within [low, high] bps (0 = no bound).

    aiortc has no API for this, so the encoder instance gets a subclass whose ``target_bitrate``
    setter clamps. Returns False for encoders without a target bitrate (audio).
    """
    cls = type(encoder)
    prop = getattr(cls, "target_bitrate", None)
    if not isinstance(prop, property) or prop.fset is None:
        return False
    if not getattr(cls, "_minikms_clamped", False):
        sub = _clamped_encoder_classes.get(cls)
        if sub is None:
            base_prop = prop

            def getter(self: Any) -> int:
                return int(base_prop.fget(self))  # type: ignore[misc]

            def setter(self: Any, value: int) -> None:
                low, high = self._minikms_caps
                if high:
                    value = min(value, high)
                if low:
                    value = max(value, low)
                base_prop.fset(self, value)  # type: ignore[misc]

            sub = type(
                cls.__name__, (cls,), {"target_bitrate": property(getter, setter), "_minikms_clamped": True}
            )
            _clamped_encoder_classes[cls] = sub
        encoder.__class__ = sub
    encoder._minikms_caps = (low_bps, high_bps)  # type: ignore[attr-defined]
    encoder.target_bitrate = encoder.target_bitrate  # type: ignore[attr-defined]
    return True
