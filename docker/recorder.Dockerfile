# The COMPOSED video recorder agent (server/recording/agent.py) of openvidu-server-py, beside the server in
# docker-compose. Build from the repository root:  docker build -f docker/recorder.Dockerfile -t openvidu-recorder-py .
# Each recording is one process group in this container: Xvfb + PulseAudio + Debian's Chromium + ffmpeg.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       chromium xvfb pulseaudio pulseaudio-utils ffmpeg fonts-dejavu-core fonts-liberation ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/openvidu-server
COPY pyproject.toml README.md ./
COPY server ./server
COPY kms_client ./kms_client
COPY minikms ./minikms
COPY config ./config
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /var/lib/openvidu-recorder --create-home openvidu \
    && mkdir -p /opt/openvidu/recordings && chown openvidu /opt/openvidu/recordings

# The recordings volume is shared with the server (it probes and seals what is written here): uid 10001 on both.
USER openvidu
ENV OPENVIDU_RECORDING_PATH=/opt/openvidu/recordings
VOLUME ["/opt/openvidu/recordings"]
EXPOSE 4500
STOPSIGNAL SIGTERM
ENTRYPOINT ["openvidu-recorder"]
CMD ["--host", "0.0.0.0", "--port", "4500"]
