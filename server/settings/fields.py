"""The typed settings object: one field per configuration property, and the row type of the property table.

``Settings`` holds one field per property with the original OpenVidu 2.10/2.11 default (extensions of this
server have their own defaults); ``PropertySpec`` is one row of the table (``server.settings.model``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from server.settings.kinds import IntKind, Kind, SecondsKind, UnsupportedKind

CDR_EVENT_NAMES: tuple[str, ...] = (
    "sessionCreated",
    "sessionDestroyed",
    "participantJoined",
    "participantLeft",
    "webrtcConnectionCreated",
    "webrtcConnectionDestroyed",
    "recordingStarted",
    "recordingStopped",
    "recordingStatusChanged",
)
WEBHOOK_EVENT_NAMES_232: tuple[str, ...] = (
    "filterEventDispatched",
    "signalSent",
    "mediaNodeStatusChanged",
    "nodeCrashed",
    "nodeRecovered",
    "broadcastStarted",
    "broadcastStopped",
)
"""Webhook-only events of 2.16+ (``server.core.events_232``); not in the default list, as 2.11 never sent them."""
DEFAULT_WEBHOOK_EVENTS: tuple[str, ...] = (
    "sessionCreated",
    "sessionDestroyed",
    "participantJoined",
    "participantLeft",
    "webrtcConnectionCreated",
    "webrtcConnectionDestroyed",
    "recordingStatusChanged",
)
LOAD_STRATEGIES: tuple[str, ...] = ("streams", "sessions", "mediaObjects", "cpu")
RECORDING_NOTIFICATIONS: tuple[str, ...] = ("none", "moderator", "publisher_moderator", "all")
LOG_LEVELS: tuple[str, ...] = ("trace", "debug", "info", "warn", "error", "off")
DEFAULT_STATE_PATH = "~/.local/state/openvidu-server"
OVERRIDES_FILE_NAME = "overrides.yaml"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every configuration property, typed; the defaults are OpenVidu's (or this server's, for extensions)."""

    # Listener
    server_address: str = "0.0.0.0"
    server_port: int = 4443
    server_ssl_enabled: bool = True
    server_ssl_certificate: str = ""
    server_ssl_key: str = ""
    server_ssl_key_store: str = ""
    server_ssl_key_store_password: str = ""
    server_ssl_key_store_type: str = ""
    server_ssl_key_alias: str = ""
    server_max_connections: int = 10000
    server_header_timeout: float = 10.0
    server_event_loop: str = "auto"
    server_tls_transport: str = "socket"
    # Core OpenVidu
    openvidu_secret: str = "MY_SECRET"
    openvidu_publicurl: str = "local"
    openvidu_cdr: bool = False
    openvidu_cdr_path: str = "log"
    openvidu_webhook: bool = False
    openvidu_webhook_endpoint: str = ""
    openvidu_webhook_headers: tuple[str, ...] = ()
    openvidu_webhook_events: tuple[str, ...] = DEFAULT_WEBHOOK_EVENTS
    openvidu_recording: bool = False
    openvidu_recording_version: str = "2.9.0"
    openvidu_recording_path: str = "/opt/openvidu/recordings"
    openvidu_recording_public_access: bool = False
    openvidu_recording_notification: str = "publisher_moderator"
    openvidu_recording_custom_layout: str = "/opt/openvidu/custom-layout"
    openvidu_recording_autostop_timeout: int = 120
    openvidu_recording_composed_url: str = ""
    openvidu_recording_composed_recorder: str = ""
    openvidu_recording_media_timeout: float = 5.0
    openvidu_recording_composed_start_timeout: float = 20.0
    openvidu_recording_composed_stop_timeout: float = 30.0
    openvidu_recording_composed_max: int = 4
    openvidu_streams_video_max_recv_bandwidth: int = 1000
    openvidu_streams_video_min_recv_bandwidth: int = 300
    openvidu_streams_video_max_send_bandwidth: int = 1000
    openvidu_streams_video_min_send_bandwidth: int = 300
    # Pro
    openvidu_pro_stats_monitoring_interval: int = 30
    openvidu_pro_stats_webrtc_interval: int = 30
    openvidu_pro_stats_history: int = 120
    openvidu_metrics_port: int = 0
    openvidu_metrics_address: str = "127.0.0.1"
    openvidu_pro_cluster: bool = False
    openvidu_pro_cluster_load_strategy: str = "streams"
    openvidu_pro_cluster_load_sample_interval: float = 5.0
    openvidu_pro_cluster_load_cpu_window: float = 1.0
    openvidu_pro_kibana_host: str = ""
    openvidu_inspector_push_interval: float = 1.0
    openvidu_inspector_max_consoles: int = 20
    # Media servers
    kms_uris: tuple[str, ...] = ("embedded",)
    kms_ping_interval: float = 5.0
    kms_ping_timeout: float = 10.0
    kms_request_timeout: float = 10.0
    kms_connect_timeout: float = 3.0
    kms_reconnect_window: float = 30.0
    minikms_address: str = "127.0.0.1"
    # Browser signaling
    openvidu_rpc_ping_timeout: float = 15.0
    openvidu_rpc_reconnect_window: float = 10.0
    openvidu_rpc_join_timeout: float = 30.0
    openvidu_rpc_max_frame_size: int = 1048576
    openvidu_rpc_websocket_compression: bool = False
    openvidu_rpc_direct_websocket: bool = True
    openvidu_rpc_max_ice_candidates: int = 500
    openvidu_rpc_max_ice_candidate_size: int = 1024
    # TURN credentials (per-token coturn users)
    coturn_redis_ip: str = "127.0.0.1"
    coturn_redis_dbname: str = "0"
    coturn_redis_password: str = "turn"
    coturn_redis_connect_timeout: int = 30
    # Files and state
    openvidu_state_path: str = DEFAULT_STATE_PATH
    openvidu_overrides_path: str = ""
    spring_config_additional_location: str = ""
    spring_profiles_active: str = ""
    logging_level_root: str = "info"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One configuration property: dotted name, Settings field, kind, documentation."""

    name: str
    field: str
    kind: Kind
    doc: str
    extension: bool = False
    restartable: bool = False

    @property
    def env_name(self) -> str:
        """OpenVidu's UPPER_SNAKE environment name (Spring relaxed binding)."""
        return self.name.replace(".", "_").replace("-", "_").upper()

    @property
    def default(self) -> object:
        return _FIELD_DEFAULTS[self.field]


_FIELD_DEFAULTS: dict[str, object] = {f.name: f.default for f in dataclasses.fields(Settings)}

# Kinds shared by rows of both halves of the table.
SECONDS = SecondsKind()
NON_NEGATIVE = IntKind(minimum=0, maximum=2**31 - 1)
INTERVAL = IntKind(minimum=0, maximum=86400)
KEY_STORE = UnsupportedKind(
    "not supported: Java key stores are not read; use server.ssl.certificate and server.ssl.key (PEM files)"
)
