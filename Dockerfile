# OpenVidu Pro 2.10/2.11-compatible server (Python). Build: docker build -t openvidu-server-py .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# ffmpeg: ffprobe for recording metadata; libsrtp/libvpx/opus come with the aiortc wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/openvidu-server
COPY pyproject.toml README.md ./
COPY server ./server
COPY kms_client ./kms_client
COPY minikms ./minikms
COPY config ./config
RUN pip install . \
    && groupadd --system --gid 10001 openvidu \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/openvidu --create-home openvidu \
    && mkdir -p /opt/openvidu/recordings /opt/openvidu/cdr /opt/openvidu/custom-layout /etc/openvidu \
    && cp config/openvidu.yaml /etc/openvidu/openvidu.yaml \
    && chown -R openvidu:openvidu /opt/openvidu /var/lib/openvidu

# State folder: self-signed certificate and the overrides file written by POST /pro/restart.
ENV OPENVIDU_STATE_PATH=/var/lib/openvidu \
    OPENVIDU_RECORDING_PATH=/opt/openvidu/recordings \
    OPENVIDU_RECORDING_CUSTOM_LAYOUT=/opt/openvidu/custom-layout \
    OPENVIDU_CDR_PATH=/opt/openvidu/cdr
VOLUME ["/var/lib/openvidu", "/opt/openvidu/recordings", "/opt/openvidu/cdr"]
EXPOSE 4443
STOPSIGNAL SIGTERM
# No USER: the entrypoint (server/container.py) starts as root, creates the state, recordings and CDR folders
# and hands them to uid 10001 (bind mounts Docker has just made as root:root work on the first start), copies
# an own certificate readable by root only, then drops root for good and execs openvidu-server as uid 10001.
ENTRYPOINT ["python", "-m", "server.container"]
CMD ["--config", "/etc/openvidu/openvidu.yaml"]
# GET /health on the listener the settings describe (server/healthcheck.py); same arguments as the server.
HEALTHCHECK --start-period=30s --interval=10s --timeout=5s --retries=3 \
    CMD ["python", "-m", "server.healthcheck", "--config", "/etc/openvidu/openvidu.yaml"]
