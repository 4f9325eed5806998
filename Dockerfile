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
    && useradd --system --uid 10001 --home-dir /var/lib/openvidu --create-home openvidu \
    && mkdir -p /opt/openvidu/recordings /opt/openvidu/cdr /opt/openvidu/custom-layout /etc/openvidu \
    && cp config/openvidu.yaml /etc/openvidu/openvidu.yaml \
    && chown -R openvidu /opt/openvidu /var/lib/openvidu

# Bind-mounted folders (recordings, cdr) must be writable by uid 10001: chown -R 10001 recordings cdr
USER openvidu
# State folder: self-signed certificate and the overrides file written by POST /pro/restart.
ENV OPENVIDU_STATE_PATH=/var/lib/openvidu \
    OPENVIDU_RECORDING_PATH=/opt/openvidu/recordings \
    OPENVIDU_RECORDING_CUSTOM_LAYOUT=/opt/openvidu/custom-layout \
    OPENVIDU_CDR_PATH=/opt/openvidu/cdr
VOLUME ["/var/lib/openvidu", "/opt/openvidu/recordings", "/opt/openvidu/cdr"]
EXPOSE 4443
STOPSIGNAL SIGTERM
ENTRYPOINT ["openvidu-server"]
CMD ["--config", "/etc/openvidu/openvidu.yaml"]
