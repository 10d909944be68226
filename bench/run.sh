#!/bin/sh
# The recorder load harness, as `make bench` runs it. Extra arguments go to bench/recload (see its -help).
set -eu
cd "$(dirname "$0")/.."
exec go run ./bench/recload "$@"
