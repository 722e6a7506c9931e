#!/bin/sh
# Install Debian's chromium for the browser test when it is missing, with the fonts the
# simulator page needs: Chinese (fonts-noto-cjk) and colour emoji (fonts-noto-color-emoji;
# without it the page leaves the bot's emoji out instead of showing empty boxes).
# Without root (and without sudo) it says so; the browser test then skips outside CI
# and fails under CI=true.
missing=""
command -v chromium >/dev/null 2>&1 || missing="chromium"
if command -v fc-list >/dev/null 2>&1; then
  fc-list | grep -q "Noto Sans CJK" || missing="$missing fonts-noto-cjk"
  fc-list | grep -q "Noto Color Emoji" || missing="$missing fonts-noto-color-emoji"
else
  missing="$missing fonts-noto-cjk fonts-noto-color-emoji"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
  echo "ensure-chromium: missing$missing and this user cannot install it (apt-get install$missing)"; exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "ensure-chromium: no apt-get; install$missing by hand"; exit 0; }
echo "ensure-chromium: installing$missing (once)"
# shellcheck disable=SC2086  # the package list is meant to split
$SUDO apt-get update -qq >/dev/null && \
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null \
  || echo "ensure-chromium: apt-get install$missing failed"
exit 0
