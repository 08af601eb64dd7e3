#!/bin/sh
# Based on compose/scripts/create-namespace.sh from github.com/temporalio/samples-server
# (commit b7bc4c54f6eddfaf03d6b0a3c52e206512814f4f), same env vars (DEFAULT_NAMESPACE,
# TEMPORAL_ADDRESS, TEMPORAL_HEALTH_CHECK_MAX_ATTEMPTS, TEMPORAL_HEALTH_CHECK_SLEEP_SECONDS).
# Two changes:
#   1. upstream's namespace loop tests "$MAX_ATTdMPTS" (a typo that `set -u` turns into an
#      "unbound variable" exit on the first failed attempt); fixed to "$MAX_ATTEMPTS".
#   2. after the namespace exists, the custom search attributes given as arguments
#      (`Name=Type ...`) are registered in it, with the same retry loop. Registering an
#      attribute that already exists with the same type is a no-op, so re-running is safe.
set -eu

NAMESPACE=${DEFAULT_NAMESPACE:-default}
TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
MAX_ATTEMPTS=${TEMPORAL_HEALTH_CHECK_MAX_ATTEMPTS:-30}
SLEEP_SECONDS=${TEMPORAL_HEALTH_CHECK_SLEEP_SECONDS:-5}

echo "Waiting for Temporal server port to be available..."
SERVER_HOST=$(echo "$TEMPORAL_ADDRESS" | cut -d: -f1)
SERVER_PORT=$(echo "$TEMPORAL_ADDRESS" | cut -d: -f2)
attempt=1
while ! nc -z -w 10 "$SERVER_HOST" "$SERVER_PORT"; do
  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "Temporal server port did not become available after $MAX_ATTEMPTS attempts"
    exit 1
  fi

  echo "Temporal server port not ready yet, waiting... (attempt $attempt/$MAX_ATTEMPTS)"
  attempt=$((attempt + 1))
  sleep "$SLEEP_SECONDS"
done
echo 'Temporal server port is available'

echo 'Waiting for Temporal server to be healthy...'
attempt=1

while :; do
  if temporal operator cluster health --address "$TEMPORAL_ADDRESS"; then
    break
  fi

  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "Server did not become healthy after $MAX_ATTEMPTS attempts"
    exit 1
  fi

  echo "Server not ready yet, waiting... (attempt $attempt/$MAX_ATTEMPTS)"
  attempt=$((attempt + 1))
  sleep "$SLEEP_SECONDS"
done

echo "Server is healthy, creating namespace '$NAMESPACE'..."

attempt=1
while :; do
  if temporal operator namespace describe -n "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
    echo "Namespace '$NAMESPACE' already exists"
    break
  fi

  if temporal operator namespace create -n "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
    echo "Namespace '$NAMESPACE' created"
    break
  fi

  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "Failed to create namespace '$NAMESPACE' after $MAX_ATTEMPTS attempts"
    exit 1
  fi

  echo "Namespace operation not ready yet, waiting... (attempt $attempt/$MAX_ATTEMPTS)"
  attempt=$((attempt + 1))
  sleep "$SLEEP_SECONDS"
done

# --- Custom search attributes (this project's addition) ---
if [ "$#" -eq 0 ]; then
  exit 0
fi

SA_FLAGS=""
for sa in "$@"; do
  sa_name=${sa%%=*}
  sa_type=${sa#*=}
  if [ -z "$sa_name" ] || [ "$sa_name" = "$sa" ] || [ -z "$sa_type" ]; then
    echo "Invalid search attribute argument '$sa' (expected Name=Type, e.g. RunKind=Keyword)"
    exit 1
  fi
  SA_FLAGS="$SA_FLAGS --name $sa_name --type $sa_type"
done

echo "Registering search attributes in namespace '$NAMESPACE': $*"
attempt=1
while :; do
  # A namespace created a moment ago can take a few seconds to be visible to this call; retry.
  # SA_FLAGS is deliberately unquoted: it is a list of flags (names and types contain no spaces).
  # shellcheck disable=SC2086
  if temporal operator search-attribute create --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" $SA_FLAGS; then
    break
  fi

  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "Failed to register search attributes in '$NAMESPACE' after $MAX_ATTEMPTS attempts"
    exit 1
  fi

  echo "Search attribute registration not ready yet, waiting... (attempt $attempt/$MAX_ATTEMPTS)"
  attempt=$((attempt + 1))
  sleep "$SLEEP_SECONDS"
done

temporal operator search-attribute list --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS"
echo "Search attributes registered in namespace '$NAMESPACE'"
