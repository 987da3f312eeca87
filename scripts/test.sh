#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sets everything up and runs every test: the unit and integration suites on
# a -Werror build, then again under ASan and UBSan (the tracer itself runs
# sanitized against the real targets of one classic and one Swiss toolchain),
# then a short libFuzzer run of every parser, then a check that no process or
# temporary directory of the suite was left behind. Run as root (BPF, uprobes). Ends with one line "N passed, N failed".
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

# The summary reads this run's logs only.
rm -f build/meson-logs/testlog.json build-sanitize/meson-logs/testlog.json \
	build-fuzz/meson-logs/testlog.json

# What runs now and which gomapleak-* temporary directories exist: the suite
# must leave no more.
cache=${GOMAPLEAK_CACHE:-/var/cache/gomapleak}
before=$(mktemp)
trap 'rm -f "$before"' EXIT
scripts/leftovers.py snapshot "$before"

status=0
# Five at a time: the integration tests mostly wait on windows and timers. With four, four
# ran at every minute of the leg while the two cores averaged 1.4 busy (2026-12-07), and the
# whole command took 31 minutes.
meson test -C build --suite unit --suite system --suite integration --num-processes 5 --print-errorlogs ||
	status=1
# A sanitizer report exits 86: no test can take it for one of gomapleak's own statuses (1 is
# --fail-on-leak's). The tracer's C code is the same for every Go toolchain: the sanitized
# leg runs the integration tests of one classic and one Swiss toolchain, and the C tests that
# read the Go targets or load the BPF object (suite "sanitized").
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86 \
	meson test -C build-sanitize --suite unit --suite sanitized --num-processes 4 --print-errorlogs || status=1
meson test -C build-fuzz --suite fuzz --num-processes 2 --print-errorlogs || status=1
scripts/leftovers.py check "$before" "$PWD" "$cache" || status=1

# Every result but OK is a failure: no test here may skip (a fuzz finding or a missing tool
# must not pass as one).
python3 - build/meson-logs/testlog.json build-sanitize/meson-logs/testlog.json \
	build-fuzz/meson-logs/testlog.json <<'PY' || status=1
import json, sys
passed = failed = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            test = json.loads(line)
            if test["result"] == "OK":
                passed += 1
            else:
                failed += 1
                print("not OK: %s %s" % (test["name"], test["result"]))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
exit $status
