"""The typed settings object and the table of every configuration property.

``Settings`` holds one field per property with the original OpenVidu 2.10/2.11 default (extensions of this
server have their own defaults). ``PROPERTIES`` maps each dotted property name to its field, its kind
(type + validation) and its documentation; ``config/openvidu.yaml`` is written from the same facts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from server.settings.kinds import (
    BoolKind,
    EnumKind,
    HeaderKind,
    IntKind,
    Kind,
    KmsUriKind,
    ListKind,
    PathKind,
    SecondsKind,
    StrKind,
    UnsupportedKind,
    UrlKind,
)

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

_SECONDS = SecondsKind()
_NON_NEGATIVE = IntKind(minimum=0, maximum=2**31 - 1)
_INTERVAL = IntKind(minimum=0, maximum=86400)
_KEY_STORE = UnsupportedKind(
    "not supported: Java key stores are not read; use server.ssl.certificate and server.ssl.key (PEM files)"
)

PROPERTIES: tuple[PropertySpec, ...] = (
    PropertySpec(
        "server.address", "server_address", StrKind(non_empty=True), "Address the listener binds to."
    ),
    PropertySpec(
        "server.port", "server_port", IntKind(1, 65535), "Listener port (also used by the local public URL)."
    ),
    PropertySpec(
        "server.ssl.enabled",
        "server_ssl_enabled",
        BoolKind(),
        "Serve HTTPS/WSS. false = plain HTTP, for running behind a TLS proxy.",
    ),
    PropertySpec(
        "server.ssl.certificate",
        "server_ssl_certificate",
        PathKind(allow_empty=True),
        "PEM certificate (chain) file. Empty = a self-signed certificate made on first start in the state folder.",
        extension=True,
    ),
    PropertySpec(
        "server.ssl.key",
        "server_ssl_key",
        PathKind(allow_empty=True),
        "PEM private key of server.ssl.certificate (set both or neither).",
        extension=True,
    ),
    PropertySpec(
        "server.ssl.key-store", "server_ssl_key_store", _KEY_STORE, "Not supported (Java key store)."
    ),
    PropertySpec(
        "server.ssl.key-store-password",
        "server_ssl_key_store_password",
        _KEY_STORE,
        "Not supported (Java key store).",
    ),
    PropertySpec(
        "server.ssl.key-store-type",
        "server_ssl_key_store_type",
        _KEY_STORE,
        "Not supported (Java key store).",
    ),
    PropertySpec(
        "server.ssl.key-alias", "server_ssl_key_alias", _KEY_STORE, "Not supported (Java key store)."
    ),
    PropertySpec(
        "server.max-connections",
        "server_max_connections",
        IntKind(1, 1000000),
        "Concurrent HTTP and websocket connections; one more is answered 503 and closed (logged with a counter).",
        extension=True,
    ),
    PropertySpec(
        "server.event-loop",
        "server_event_loop",
        EnumKind(("auto", "asyncio", "uvloop")),
        "Event loop: uvloop (libuv; its TLS closes a plain-HTTP request on the TLS port without the 400 answer), "
        "asyncio, or auto = uvloop when it is installed and server.ssl.enabled is false, else asyncio.",
        extension=True,
    ),
    PropertySpec(
        "server.header-timeout",
        "server_header_timeout",
        _SECONDS,
        "Seconds a connection may take to send a request's headers (slowloris bound); then it is closed.",
        extension=True,
    ),
    PropertySpec(
        "openvidu.secret",
        "openvidu_secret",
        StrKind(non_empty=True),
        "Basic-auth password of user OPENVIDUAPP, and the secret of insecure/recorder joins.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.publicurl",
        "openvidu_publicurl",
        StrKind(),
        "Public URL: 'local' (wss://localhost:<port>), 'docker' (container IP) or a URL/host[:port].",
    ),
    PropertySpec("openvidu.cdr", "openvidu_cdr", BoolKind(), "Write the CDR file.", restartable=True),
    PropertySpec(
        "openvidu.cdr.path", "openvidu_cdr_path", PathKind(), "Folder of the CDR files (served under /cdr)."
    ),
    PropertySpec(
        "openvidu.webhook", "openvidu_webhook", BoolKind(), "Send events to a webhook.", restartable=True
    ),
    PropertySpec(
        "openvidu.webhook.endpoint",
        "openvidu_webhook_endpoint",
        UrlKind(("http", "https")),
        "Webhook URL; mandatory when openvidu.webhook=true.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.webhook.headers",
        "openvidu_webhook_headers",
        ListKind(HeaderKind(), free_text_items=True),
        "Extra HTTP headers of webhook POSTs, each 'Name: value'.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.webhook.events",
        "openvidu_webhook_events",
        ListKind(EnumKind(CDR_EVENT_NAMES + WEBHOOK_EVENT_NAMES_232)),
        "Events sent to the webhook.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.recording",
        "openvidu_recording",
        BoolKind(),
        "Enable the recording module.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.recording.version",
        "openvidu_recording_version",
        StrKind(non_empty=True),
        "Tag of the openvidu/openvidu-recording image (COMPOSED video).",
    ),
    PropertySpec(
        "openvidu.recording.path",
        "openvidu_recording_path",
        PathKind(),
        "Folder of the recordings (served under /recordings).",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.recording.public-access",
        "openvidu_recording_public_access",
        BoolKind(),
        "Serve /recordings without authentication.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.recording.notification",
        "openvidu_recording_notification",
        EnumKind(RECORDING_NOTIFICATIONS),
        "Which roles receive recordingStarted/recordingStopped notifications.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.recording.custom-layout",
        "openvidu_recording_custom_layout",
        PathKind(),
        "Folder of custom recording layouts (served under /layouts/custom).",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.recording.autostop-timeout",
        "openvidu_recording_autostop_timeout",
        _INTERVAL,
        "Seconds a recording of an empty session goes on before it stops.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.recording.composed-url",
        "openvidu_recording_composed_url",
        UrlKind(("http", "https")),
        "Base URL the recording container opens instead of the public URL.",
    ),
    PropertySpec(
        "openvidu.recording.composed-recorder",
        "openvidu_recording_composed_recorder",
        UrlKind(("http", "https")),
        "Recorder agent running COMPOSED video captures (docker-compose: http://openvidu-recorder:4500); "
        "empty = a local process group (Xvfb, PulseAudio, Chromium, ffmpeg) per recording.",
        True,
    ),
    PropertySpec(
        "openvidu.recording.media-timeout",
        "openvidu_recording_media_timeout",
        _SECONDS,
        "Seconds a media server may take to confirm a RecorderEndpoint started or stopped (Recording/Stopped).",
        True,
    ),
    PropertySpec(
        "openvidu.recording.composed-start-timeout",
        "openvidu_recording_composed_start_timeout",
        _SECONDS,
        "Seconds a COMPOSED video recorder may take to write its first bytes before the start fails.",
        True,
    ),
    PropertySpec(
        "openvidu.recording.composed-stop-timeout",
        "openvidu_recording_composed_stop_timeout",
        _SECONDS,
        "Seconds a COMPOSED video recorder may take to finish its file before the recording is failed.",
        True,
    ),
    PropertySpec(
        "openvidu.recording.composed-max",
        "openvidu_recording_composed_max",
        IntKind(minimum=1, maximum=64),
        "COMPOSED video recordings running at once (each one is a browser and an encoder); more get a 500.",
        True,
    ),
    PropertySpec(
        "openvidu.streams.video.max-recv-bandwidth",
        "openvidu_streams_video_max_recv_bandwidth",
        _NON_NEGATIVE,
        "kbps; 0 = unconstrained.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.streams.video.min-recv-bandwidth",
        "openvidu_streams_video_min_recv_bandwidth",
        _NON_NEGATIVE,
        "kbps; 0 = unconstrained.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.streams.video.max-send-bandwidth",
        "openvidu_streams_video_max_send_bandwidth",
        _NON_NEGATIVE,
        "kbps; 0 = unconstrained.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.streams.video.min-send-bandwidth",
        "openvidu_streams_video_min_send_bandwidth",
        _NON_NEGATIVE,
        "kbps; 0 = unconstrained.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.pro.stats.monitoring-interval",
        "openvidu_pro_stats_monitoring_interval",
        _INTERVAL,
        "Seconds between host CPU/memory/network samples; 0 disables.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.pro.stats.webrtc-interval",
        "openvidu_pro_stats_webrtc_interval",
        _INTERVAL,
        "Seconds between WebRTC endpoint stats samples; 0 disables.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.pro.stats.history",
        "openvidu_pro_stats_history",
        IntKind(minimum=1, maximum=100000),
        "Samples kept per stats series (bounded memory).",
        extension=True,
    ),
    PropertySpec(
        "openvidu.metrics.port",
        "openvidu_metrics_port",
        IntKind(0, 65535),
        "Port of an extra plain-HTTP listener serving GET /metrics without authentication (like LiveKit's "
        "prometheus_port); 0 = none (/metrics stays on the main port, behind the Basic auth).",
        extension=True,
    ),
    PropertySpec(
        "openvidu.metrics.address",
        "openvidu_metrics_address",
        StrKind(non_empty=True),
        "Address the openvidu.metrics.port listener binds to (keep it private: it has no authentication).",
        extension=True,
    ),
    PropertySpec(
        "openvidu.pro.cluster",
        "openvidu_pro_cluster",
        BoolKind(),
        "Use every kms.uris entry as a cluster (and enable /pro/media-servers); false = only the first.",
    ),
    PropertySpec(
        "openvidu.pro.cluster.load.strategy",
        "openvidu_pro_cluster_load_strategy",
        EnumKind(LOAD_STRATEGIES),
        "How the least-loaded media server is chosen for a new session.",
    ),
    PropertySpec(
        "openvidu.pro.cluster.load.sample-interval",
        "openvidu_pro_cluster_load_sample_interval",
        _SECONDS,
        "Seconds between load samples of each media server (strategies cpu and mediaObjects).",
        True,
    ),
    PropertySpec(
        "openvidu.pro.cluster.load.cpu-window",
        "openvidu_pro_cluster_load_cpu_window",
        _SECONDS,
        "Seconds over which getUsedCpu measures a media server's CPU (strategy cpu).",
        True,
    ),
    PropertySpec(
        "openvidu.pro.kibana.host", "openvidu_pro_kibana_host", StrKind(), "Kibana URL (informational)."
    ),
    PropertySpec(
        "openvidu.inspector.push-interval",
        "openvidu_inspector_push_interval",
        _SECONDS,
        "Seconds between the Inspector's checks for changes to push to open consoles (events push at once).",
        True,
    ),
    PropertySpec(
        "openvidu.inspector.max-consoles",
        "openvidu_inspector_max_consoles",
        IntKind(minimum=1, maximum=1000),
        "Inspector consoles (live push streams) open at once; more get 503.",
        True,
    ),
    PropertySpec(
        "kms.uris",
        "kms_uris",
        ListKind(KmsUriKind()),
        "Media servers: ws://host:8888/kurento URIs; 'embedded' = a minikms started by the server; [] = none "
        "(REST works, joins fail).",
    ),
    PropertySpec(
        "kms.ping-interval",
        "kms_ping_interval",
        _SECONDS,
        "Seconds between keep-alive pings to a media server.",
        True,
    ),
    PropertySpec(
        "kms.ping-timeout",
        "kms_ping_timeout",
        _SECONDS,
        "Seconds a ping may take before the link is lost.",
        True,
    ),
    PropertySpec(
        "kms.request-timeout",
        "kms_request_timeout",
        _SECONDS,
        "Seconds a media-server request may take.",
        True,
    ),
    PropertySpec(
        "kms.connect-timeout",
        "kms_connect_timeout",
        _SECONDS,
        "Seconds a media-server connect may take.",
        True,
    ),
    PropertySpec(
        "kms.reconnect-window",
        "kms_reconnect_window",
        _SECONDS,
        "Seconds a lost media server may take to come back before its sessions are closed.",
        True,
    ),
    PropertySpec(
        "minikms.address",
        "minikms_address",
        StrKind(non_empty=True),
        "Bind address of the embedded minikms.",
        True,
    ),
    PropertySpec(
        "openvidu.rpc.ping-timeout",
        "openvidu_rpc_ping_timeout",
        _SECONDS,
        "Seconds without a browser ping before its participant is evicted (networkDisconnect).",
        True,
    ),
    PropertySpec(
        "openvidu.rpc.reconnect-window",
        "openvidu_rpc_reconnect_window",
        _SECONDS,
        "Seconds a closed browser websocket may take to reconnect before its participant is evicted.",
        True,
    ),
    PropertySpec(
        "openvidu.rpc.join-timeout",
        "openvidu_rpc_join_timeout",
        _SECONDS,
        "Seconds a browser websocket may stay open without joining a session (joinRoom) before it is closed.",
        True,
    ),
    PropertySpec(
        "openvidu.rpc.max-frame-size",
        "openvidu_rpc_max_frame_size",
        IntKind(1024, 64 * 1024 * 1024),
        "Bytes of the largest browser websocket frame; a larger one closes the socket (1009).",
        True,
    ),
    PropertySpec(
        "openvidu.rpc.websocket-compression",
        "openvidu_rpc_websocket_compression",
        BoolKind(),
        "Offer permessage-deflate on websockets (about 50 KiB of zlib state per socket for small JSON frames).",
        True,
    ),
    PropertySpec(
        "openvidu.rpc.direct-websocket",
        "openvidu_rpc_direct_websocket",
        BoolKind(),
        "Serve the /openvidu websocket straight from the websocket protocol, without the ASGI layers (less CPU "
        "and memory per socket); false: through the Starlette app like every other route.",
        True,
    ),
    PropertySpec(
        "openvidu.rpc.max-ice-candidates",
        "openvidu_rpc_max_ice_candidates",
        IntKind(1, 100000),
        "Browser ICE candidates kept per participant (buffered until its endpoints exist, listed in webRtcStats); more are refused.",
        True,
    ),
    PropertySpec(
        "openvidu.rpc.max-ice-candidate-size",
        "openvidu_rpc_max_ice_candidate_size",
        IntKind(64, 1048576),
        "Characters of the longest ICE candidate accepted (candidate, sdpMid and endpointName together).",
        True,
    ),
    PropertySpec("coturn.redis.ip", "coturn_redis_ip", StrKind(), "Redis of coturn (per-token TURN users)."),
    PropertySpec("coturn.redis.dbname", "coturn_redis_dbname", StrKind(), "Redis database of coturn."),
    PropertySpec("coturn.redis.password", "coturn_redis_password", StrKind(), "Redis password of coturn."),
    PropertySpec("coturn.redis.connect-timeout", "coturn_redis_connect_timeout", _NON_NEGATIVE, "Seconds."),
    PropertySpec(
        "openvidu.state.path",
        "openvidu_state_path",
        PathKind(),
        "State folder: self-signed certificate and the overrides file.",
        extension=True,
    ),
    PropertySpec(
        "openvidu.overrides.path",
        "openvidu_overrides_path",
        PathKind(allow_empty=True),
        "Overrides file written by /pro/restart (highest precedence). Empty = <state path>/overrides.yaml.",
        extension=True,
    ),
    PropertySpec(
        "spring.config.additional-location",
        "spring_config_additional_location",
        PathKind(allow_empty=True),
        "A .properties or YAML configuration file, read like --config (OpenVidu 2.11 name).",
    ),
    PropertySpec("spring.profiles.active", "spring_profiles_active", StrKind(), "Accepted and ignored."),
    PropertySpec(
        "logging.level.root",
        "logging_level_root",
        EnumKind(LOG_LEVELS, case_insensitive=True),
        "Root log level.",
    ),
)

PROPERTIES_BY_NAME: dict[str, PropertySpec] = {spec.name: spec for spec in PROPERTIES}
PROPERTIES_BY_ENV: dict[str, PropertySpec] = {spec.env_name: spec for spec in PROPERTIES}
RESTARTABLE: frozenset[str] = frozenset(spec.name for spec in PROPERTIES if spec.restartable)
