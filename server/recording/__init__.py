"""The recording module (spec recording.md): a media-agnostic manager beside core, one recorder per output mode.

- :mod:`.model`: Recording, its properties and statuses, and their JSON (spec §4.4).
- :mod:`.store`: the recordings folder (``.recording.<id>`` metadata files, free ids, deletion).
- :mod:`.manager`: RecordingManager (start/stop/get/list/delete, autostop, ALWAYS mode, events, notifications).
- :mod:`.kurento`: INDIVIDUAL and COMPOSED audio-only recorders (RecorderEndpoint, Composite/HubPort).
- :mod:`.composed`: COMPOSED video, the layout page captured by :mod:`.local` (Xvfb+PulseAudio+Chromium+ffmpeg).
"""
