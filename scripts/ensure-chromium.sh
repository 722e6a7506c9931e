#!/bin/sh
# Install Debian's chromium for the browser test when it is missing.
# Without root (and without sudo) it says so; the browser test then skips outside CI
# and fails under CI=true.
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
  echo "ensure-chromium: chromium is missing and this user cannot install it (apt-get install chromium)"; exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "ensure-chromium: no apt-get; install chromium by hand"; exit 0; }
echo "ensure-chromium: installing Debian's chromium (once)"
$SUDO apt-get update -qq >/dev/null && \
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null \
  || echo "ensure-chromium: apt-get install chromium failed"
exit 0
