#!/bin/sh
# Example runbook for playbooks/runbook-cache-flush.yaml. A demo: it only says what it would do.
# Arguments arrive as an argument vector (never through a shell), so quote them as usual: "$2".
set -eu
instance=""
prefix="*"
while [ $# -gt 0 ]; do
  case "$1" in
    --instance) instance="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$instance" ] || { echo "--instance is required" >&2; exit 2; }
echo "would flush keys matching '$prefix' on $instance"
