"""The routes of the 2.32 surface: ``/openvidu/api/**`` and the files and pages under ``/openvidu``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from server.api import cdr, certificate, files
from server.api import config as config_211
from server.api232 import config, recordings, sessions
from server.settings import Settings

API = "/openvidu/api"
SESSION = API + "/sessions/{session_id}"
CONNECTION = SESSION + "/connection"


def api232_routes(settings: Settings) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route(API + "/sessions", sessions.create_session, methods=["POST"]),
        Route(API + "/sessions", sessions.list_sessions, methods=["GET"]),
        Route(SESSION, sessions.get_session, methods=["GET"]),
        Route(SESSION, sessions.close_session, methods=["DELETE"]),
        Route(CONNECTION, sessions.create_connection, methods=["POST"]),
        Route(CONNECTION, sessions.list_connections, methods=["GET"]),
        Route(CONNECTION + "/{connection_id}", sessions.get_connection, methods=["GET"]),
        Route(CONNECTION + "/{connection_id}", sessions.update_connection, methods=["PATCH"]),
        Route(CONNECTION + "/{connection_id}", sessions.close_connection, methods=["DELETE"]),
        Route(SESSION + "/stream/{stream_id}", sessions.unpublish_stream, methods=["DELETE"]),
        Route(API + "/tokens", sessions.create_token, methods=["POST"]),
        Route(API + "/signal", sessions.signal, methods=["POST"]),
        Route(API + "/config", config.get_config, methods=["GET"]),
        Route(API + "/config/openvidu-version", config_211.get_version, methods=["GET"]),
        Route(API + "/config/openvidu-publicurl", config_211.get_publicurl, methods=["GET"]),
        Route(API + "/config/openvidu-recording", config_211.get_recording, methods=["GET"]),
        Route(API + "/config/openvidu-recording-path", config_211.get_recording_path, methods=["GET"]),
        Route(API + "/config/openvidu-cdr", config_211.get_cdr, methods=["GET"]),
        Route(API + "/speech-to-text/load", config.speech_to_text, methods=["POST"]),
        Route(API + "/speech-to-text/unload", config.speech_to_text, methods=["POST"]),
        Route("/openvidu/cdr", cdr.list_cdr_files, methods=["GET"]),
        Route("/openvidu/cdr/{name}", cdr.get_cdr_file, methods=["GET"]),
        Route("/openvidu/recordings/{file_path:path}", files.recording_file, methods=["GET"]),
        Route("/openvidu/layouts/{file_path:path}", files.custom_layout_file, methods=["GET"]),
        Route("/openvidu/accept-certificate", certificate.accept_certificate, methods=["GET"]),
    ]
    if settings.openvidu_recording:
        routes += [
            Route(API + "/recordings/start", recordings.start_recording, methods=["POST"]),
            Route(API + "/recordings/stop/{recording_id}", recordings.stop_recording, methods=["POST"]),
            Route(API + "/recordings", recordings.list_recordings, methods=["GET"]),
            Route(API + "/recordings/{recording_id}", recordings.get_recording, methods=["GET"]),
            Route(API + "/recordings/{recording_id}", recordings.delete_recording, methods=["DELETE"]),
        ]
    else:
        routes += [
            Route(API + "/recordings/start", config.recordings_disabled, methods=["POST"]),
            Route(API + "/recordings/stop/{recording_id}", config.recordings_disabled, methods=["POST"]),
            Route(API + "/recordings", config.recordings_disabled, methods=["GET"]),
            Route(API + "/recordings/{recording_id}", config.recordings_disabled, methods=["GET", "DELETE"]),
        ]
    return routes
