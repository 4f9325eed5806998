#!/usr/bin/env bash
# The project's test command: installs what the tests need on a fresh Debian machine, checks the code with
# ruff and mypy, then runs pytest inside a loopback-only network namespace so no test traffic can leave.
#   scripts/test.sh                 # everything
#   scripts/test.sh tests/server    # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
# the local COMPOSED video recorder (openvidu.recording=true checks them at start)
command -v Xvfb >/dev/null 2>&1 || need_apt+=(xvfb)
command -v pulseaudio >/dev/null 2>&1 || need_apt+=(pulseaudio)
command -v pactl >/dev/null 2>&1 || need_apt+=(pulseaudio-utils)
command -v unshare >/dev/null 2>&1 || need_apt+=(util-linux)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v java >/dev/null 2>&1 || need_apt+=(default-jdk-headless)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "== installing the Python package and test tools"
$PY -m pip install -q --disable-pip-version-check -e '.[test]'

echo "== installing the official npm clients (tests/e2e/node)"
(cd tests/e2e/node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

status=0
echo "== ruff"
$PY -m ruff check server kms_client minikms wirejson tests benchmarks || status=1
echo "== mypy"
$PY -m mypy || status=1

echo "== pytest (loopback-only network namespace)"
pytest_cmd=$(printf '%q ' "$PY" -m pytest -p no:cacheprovider "$@")
if [ "$(id -u)" = 0 ]; then
  unshare -n sh -c "ip link set lo up && exec $pytest_cmd" || status=$?
else
  unshare -rn sh -c "ip link set lo up && exec $pytest_cmd" || status=$?
fi
if [ "$status" != 0 ]; then echo "== FAILED (status $status)"; fi
exit "$status"
