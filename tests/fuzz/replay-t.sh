#!/bin/sh
# Replays the fuzz corpus (tests/fuzz/corpus/TARGET/) through each fuzz
# target linked with the plain replay driver (replay.c): one test per
# target.  Under --enable-sanitizers the replay runs under ASan and UBSan.
. "${srcdir:-.}/tests/lib.sh"
scratch

plan 3
for target in batch ledger template; do
	if count=$("$builddir/tests/fuzz/replay-$target" \
	           "$srcdir/tests/fuzz/corpus/$target" 2>"$tmp/$target.err")
	then
		ok 0 "$target: $count corpus files replayed"
	else
		ok 1 "$target: replay failed"
		sed 's/^/# /' "$tmp/$target.err" | head -60
	fi
done
[ "$tap_failed" -eq 0 ]
