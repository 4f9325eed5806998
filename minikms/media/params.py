"""Every interval, timeout and size the media engine uses, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaParams:
    # Flow detection: a direction is FLOWING once a frame passes, NOT_FLOWING after this long without one.
    flow_idle_timeout: float = 2.0
    # How often the engine's monitor looks at flow meters and recorder state.
    monitor_interval: float = 0.25
    # Frames buffered per consumer before the oldest is dropped (a slow consumer never grows memory).
    video_queue_frames: int = 3
    audio_queue_frames: int = 25
    # Recorder: how long to hold audio while waiting for the first video frame (so video is muxed first).
    recorder_video_wait: float = 4.0
    # Recorder: frames queued to the writer thread before new ones are dropped.
    recorder_queue_frames: int = 400
    # Recorder: a jump this long in the source's audio timestamps (lost packets) is kept as a gap.
    recorder_audio_gap: float = 0.1
    # Recorder: audio further than this from real time (or a source timestamp jump this big) re-anchors.
    recorder_audio_resync: float = 1.0
    # Recorder: audio may run at most this far ahead of real time (a backlog flushed after a stall is
    # older media; beyond this it is dropped so the file never outlasts the recording).
    recorder_audio_max_lead: float = 0.1
    # Recorder: how long stop_and_wait waits for the writer thread to finalise the file.
    recorder_finalise_timeout: float = 30.0
    # Mixer (Composite): audio tick (one 20 ms Opus-sized frame) and video grid settings.
    mixer_audio_ptime: float = 0.02
    mixer_audio_rate: int = 48000
    mixer_input_max_delay: float = 0.2
    mixer_video_fps: int = 10
    mixer_video_width: int = 640
    mixer_video_height: int = 480
    # WebRTC senders that negotiated VP8 share one encoder per relayed source (see sharedvideo.py).
    share_video_encoders: bool = True
    shared_video_bitrate: int = 500_000
    shared_video_gop: int = 3000
    keyframe_min_interval: float = 0.5
    shared_packet_queue: int = 60
    # aiortc closes peer connections slowly (DTLS/SCTP shutdown); bound the wait on release.
    pc_close_timeout: float = 5.0


DEFAULT_PARAMS = MediaParams()
