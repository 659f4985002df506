#!/usr/bin/env bash
# DynamoDB Local for the dynamostore tests, taken from the npm package
# amplify-dynamodb-simulator (which ships Amazon's DynamoDBLocal.jar) into a
# cache directory outside the repository, never committed.
#
#   scripts/dynamodb-local.sh install          fetch the jar (once) and print its directory
#   scripts/dynamodb-local.sh start [PORT]     start it in memory on 127.0.0.1:PORT (default 8000),
#                                              wait until it answers, print the endpoint URL
#   scripts/dynamodb-local.sh stop             stop the one start left running
#
# DRSORCH_DYNAMODB_CACHE overrides the cache directory. Java 17 or later must
# be on PATH.
set -euo pipefail

cache=${DRSORCH_DYNAMODB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drsorch/dynamodb-local}
pkg=amplify-dynamodb-simulator@2.9.30

jar_dir() {
	find "$cache/package" -name DynamoDBLocal.jar -printf '%h\n' 2>/dev/null | head -n1 || true
}

install() {
	local dir
	dir=$(jar_dir)
	if [[ -z "$dir" ]]; then
		mkdir -p "$cache"
		# Only the package's own tarball: the jar is inside it, and none of
		# the Node wrapper's dependencies are needed to run it.
		rm -rf "$cache/package" "$cache"/*.tgz
		(cd "$cache" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz && rm -f ./*.tgz)
		dir=$(jar_dir)
	fi
	if [[ -z "$dir" ]]; then
		echo "dynamodb-local: no DynamoDBLocal.jar in $pkg" >&2
		exit 1
	fi
	echo "$dir"
}

start() {
	local port=${1:-8000} dir
	dir=$(install)
	if ! command -v java >/dev/null; then
		echo "dynamodb-local: java not found (Java 17 or later is needed)" >&2
		exit 1
	fi
	mkdir -p "$cache/run"
	# Inside its own directory: DynamoDB Local writes nothing with -inMemory,
	# but its working directory is where it would.
	(cd "$cache/run" && exec java -Djava.library.path="$dir/DynamoDBLocal_lib" \
		-jar "$dir/DynamoDBLocal.jar" -inMemory -sharedDb -disableTelemetry -port "$port" \
		>"$cache/run/dynamodb-local.log" 2>&1) &
	echo $! >"$cache/run/pid"
	local url="http://127.0.0.1:$port"
	for _ in $(seq 1 120); do
		# Any HTTP answer (it is a 400 without a signed request) means it is up.
		if curl -s -o /dev/null "$url"; then
			echo "$url"
			return 0
		fi
		if ! kill -0 "$(cat "$cache/run/pid")" 2>/dev/null; then
			cat "$cache/run/dynamodb-local.log" >&2
			echo "dynamodb-local: exited before answering" >&2
			exit 1
		fi
		sleep 0.5
	done
	echo "dynamodb-local: no answer on $url after 60 s" >&2
	exit 1
}

stop() {
	local pidfile="$cache/run/pid"
	if [[ -f "$pidfile" ]]; then
		kill "$(cat "$pidfile")" 2>/dev/null || true
		rm -f "$pidfile"
	fi
}

case "${1:-}" in
install) install ;;
start) start "${2:-8000}" ;;
stop) stop ;;
*)
	echo "usage: $0 install | start [PORT] | stop" >&2
	exit 2
	;;
esac
