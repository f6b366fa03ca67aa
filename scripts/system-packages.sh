#!/usr/bin/env bash
# Debian packages the tool uses when they are there: Apertium (offline translation of questions and
# passages), Tesseract (OCR of scanned pages) and, for the browser tests, Chromium.
# Usage: bash scripts/system-packages.sh [app|test]. Installs only what is missing; without root or
# sudo it prints the command to run instead, and the tool works without them (see README).
set -euo pipefail
packages=(apertium apertium-eng-spa apertium-fr-es apertium-es-pt
          tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa tesseract-ocr-fra tesseract-ocr-por)
[ "${1:-app}" = test ] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: not a Debian-like system; install these yourself for translation and OCR: ${missing[*]}" >&2
    exit 0
fi
if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"
else
    echo "note: to enable translation and OCR, run: sudo apt-get update && sudo apt-get install ${missing[*]}" >&2
    exit 0
fi
echo "== installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
