#!/bin/bash
# spool_commit alone, as the file system sees it: builds bench/spool_bench.c against the
# current src/queue/spool.c and runs it with several thread counts in fresh directories.
#   bench/spool-bench.sh [COUNT] [SIZE] [THREADS...]     (REMOVE=1: remove each message after
#   its commit, as delivery does; the steady state of a busy server)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-4000} size=${2:-4096}
shift 2 2>/dev/null || true
threads=${*:-1 4 16 64}
mkdir -p build/bench bench/tmp
cc -O2 -g -std=c11 -D_GNU_SOURCE -Isrc -o build/bench/spool_bench bench/spool_bench.c src/queue/spool.c src/queue/spool_commit.c src/queue/spool_scan.c src/queue/spool_recycle.c \
	src/queue/envelope.c src/util/files.c src/util/group_sync.c src/util/buffer.c src/util/xalloc.c -lpthread
for t in $threads; do
	dir=$(mktemp -d bench/tmp/spool.XXXXXX)
	build/bench/spool_bench "$dir/spool" "$t" "$count" "$size" ${REMOVE:+remove}
	rm -rf "$dir"
done
