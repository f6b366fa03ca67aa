#!/usr/bin/env bash
# One command from a fresh clone to the app answering on http://127.0.0.1:7860:
# set up .venv, build (or update) the index of ./corpus, start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
. .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
python -m indexer build --corpus corpus --index index || [ $? -eq 1 ]   # 1 = some files unreadable, rest indexed
exec python app.py --index index --corpus corpus --host 127.0.0.1 --port "${PORT:-7860}" "$@"
