"""Property rows of the listener, the secret and public URL, CDR and webhook, recording and stream bandwidths."""

from __future__ import annotations

from server.settings.fields import (
    CDR_EVENT_NAMES,
    INTERVAL,
    KEY_STORE,
    NON_NEGATIVE,
    RECORDING_NOTIFICATIONS,
    SECONDS,
    WEBHOOK_EVENT_NAMES_232,
    PropertySpec,
)
from server.settings.kinds import (
    BoolKind,
    EnumKind,
    HeaderKind,
    IntKind,
    ListKind,
    PathKind,
    StrKind,
    UrlKind,
)

CORE_PROPERTIES: tuple[PropertySpec, ...] = (
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
        "server.ssl.key-store", "server_ssl_key_store", KEY_STORE, "Not supported (Java key store)."
    ),
    PropertySpec(
        "server.ssl.key-store-password",
        "server_ssl_key_store_password",
        KEY_STORE,
        "Not supported (Java key store).",
    ),
    PropertySpec(
        "server.ssl.key-store-type",
        "server_ssl_key_store_type",
        KEY_STORE,
        "Not supported (Java key store).",
    ),
    PropertySpec(
        "server.ssl.key-alias", "server_ssl_key_alias", KEY_STORE, "Not supported (Java key store)."
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
        "server.tls-transport",
        "server_tls_transport",
        EnumKind(("socket", "asyncio")),
        "TLS connections on the asyncio loop: socket = OpenSSL reads and writes each connection's socket itself "
        "(about 4.5 KB less per connection), asyncio = asyncio's TLS protocol over memory buffers.",
        extension=True,
    ),
    PropertySpec(
        "server.header-timeout",
        "server_header_timeout",
        SECONDS,
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
        INTERVAL,
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
        SECONDS,
        "Seconds a media server may take to confirm a RecorderEndpoint started or stopped (Recording/Stopped).",
        True,
    ),
    PropertySpec(
        "openvidu.recording.composed-start-timeout",
        "openvidu_recording_composed_start_timeout",
        SECONDS,
        "Seconds a COMPOSED video recorder may take to write its first bytes before the start fails.",
        True,
    ),
    PropertySpec(
        "openvidu.recording.composed-stop-timeout",
        "openvidu_recording_composed_stop_timeout",
        SECONDS,
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
        NON_NEGATIVE,
        "kbps; 0 = unconstrained.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.streams.video.min-recv-bandwidth",
        "openvidu_streams_video_min_recv_bandwidth",
        NON_NEGATIVE,
        "kbps; 0 = unconstrained.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.streams.video.max-send-bandwidth",
        "openvidu_streams_video_max_send_bandwidth",
        NON_NEGATIVE,
        "kbps; 0 = unconstrained.",
        restartable=True,
    ),
    PropertySpec(
        "openvidu.streams.video.min-send-bandwidth",
        "openvidu_streams_video_min_send_bandwidth",
        NON_NEGATIVE,
        "kbps; 0 = unconstrained.",
        restartable=True,
    ),
)
