#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Seeds the fuzzers' corpora from real binaries: whole small Go executables,
# their .go.buildinfo and pclntab sections, and their functions' first bytes.
# (llvm-objcopy and llvm-nm: they read the arm64 builds too.)
# Usage: make_corpus.sh OUTDIR STAMP
set -euo pipefail
out=$1
targets=${GOMAPLEAK_TARGETS:-/var/cache/gomapleak/targets}
rm -rf "$out"
mkdir -p "$out"/{goelf,buildinfo,pclntab,probe_choose,map_header,label_value,json_writer}

for bin in "$targets"/go1.19/default/growonce "$targets"/go1.21/stripped-pie/growonce \
	"$targets"/go1.24-noswiss/default/growonce "$targets"/go1.26/stripped-pie/growonce \
	"$targets"/go1.27/cgo-ext-stripped/growonce "$targets"/go1.19/arm64/growonce \
	"$targets"/go1.26/arm64-stripped-pie/growonce; do
	name=$(echo "${bin#"$targets"/}" | tr / -)
	cp "$bin" "$out/goelf/$name"
	llvm-objcopy -O binary --only-section=.go.buildinfo "$bin" "$out/buildinfo/$name"
	for sec in .gopclntab .data.rel.ro.gopclntab; do
		llvm-objcopy -O binary --only-section="$sec" "$bin" "$out/pclntab/$name" 2>/dev/null || true
		[ -s "$out/pclntab/$name" ] && break
	done
	[ -s "$out/pclntab/$name" ] || rm -f "$out/pclntab/$name"
done
# Prologues: the first 32 bytes of each map function in two toolchains' builds, x86-64 and
# arm64, after the byte that picks the architecture (fuzz_probe_choose.c: even x86-64, odd
# arm64). The executables are not PIE: a function's file offset is its address less the base.
prologues() { # prologues BINARY ARCH_BYTE BASE
	llvm-nm "$1" 2>/dev/null | awk '$3 ~ /^runtime\.(map|hashGrow|makemap)|maps\./ {print $1}' |
		head -n 40 | while read -r addr; do
		local dest
		dest=$out/probe_choose/$(echo "${1#"$targets"/}" | cut -d/ -f1-2 | tr / -)-$addr
		printf "\\x$2" >"$dest"
		dd if="$1" bs=1 skip=$((0x$addr - $3)) count=32 status=none >>"$dest"
	done
}
for v in go1.19 go1.26; do
	prologues "$targets/$v/default/growonce" 00 0x400000
	prologues "$targets/$v/arm64/growonce" 01 0x10000
done
# Map headers: a classic hmap and a Swiss map as the sampler reads them (count, B or
# directory, seed), and zeros.
printf '\x20\x03\0\0\0\0\0\0\0\x07\0\0\x2a\0\0\0\0\0\x10\0\xc0\0\0\0%48s' '' >"$out/map_header/classic"
head -c 56 /dev/zero >"$out/map_header/zeros"
printf '\xb8\x0b\0\0\0\0\0\0\x11\x22\x33\x44\0\0\0\0\0\0\x20\0\xc0\0\0\0\x04\0\0\0\0\0\0\0\x02\x3e%22s' '' >"$out/map_header/swiss"
# Label values: a generic instantiation's name with a struct tag, and bytes no UTF-8 allows.
printf 'main.fill[go.shape.struct { ID int "json:\\"id\\\\\\\"" }] main.go:198' >"$out/label_value/tagged"
printf 'caf\xc3\xa9 \xff\xfe \xe2\x82 \xed\xa0\x80\nend' >"$out/label_value/bytes"
# JSON writer calls (fuzz_json_writer.c: a byte a call, then its argument): an object with
# a key and a string holding bytes no UTF-8 allows, nested arrays, a value without a key.
printf '\x00\x04\x03key\x05\x04a\xffb\x02\x02\x07\x09\x03\x01\x0d' >"$out/json_writer/calls"
printf '\x00\x05\x02hi\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >"$out/json_writer/deep"
date >"$2"
