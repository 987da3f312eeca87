#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sets everything up and runs every test: the unit and integration suites on
# a -Werror build, then both again under ASan and UBSan (the tracer itself runs
# sanitized against the real targets), then a short libFuzzer run of every
# parser. Run as root (BPF, uprobes). Ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

setup_build() { # setup_build DIR MESON_ARGS...
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}

setup_build build -Dwerror=true
setup_build build-sanitize -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all
# libFuzzer needs clang; the whole tree carries coverage so the parsers do.
CC=clang setup_build build-fuzz -Dwerror=true -Dfuzz=true -Db_sanitize=address,undefined \
	-Db_lundef=false "-Dc_args=-fno-sanitize-recover=all -fsanitize=fuzzer-no-link"

status=0
meson test -C build --suite unit --suite integration --num-processes 4 --print-errorlogs ||
	status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	meson test -C build-sanitize --suite unit --suite integration --num-processes 4 --print-errorlogs || status=1
meson test -C build-fuzz --suite fuzz --num-processes 2 --print-errorlogs || status=1

python3 - build/meson-logs/testlog.json build-sanitize/meson-logs/testlog.json \
	build-fuzz/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            result = json.loads(line)["result"]
            if result == "OK":
                passed += 1
            elif result != "SKIP":
                failed += 1
print("%d passed, %d failed" % (passed, failed))
PY
exit $status
