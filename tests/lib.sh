# Shell TAP helpers for tests that drive the built binary.
# Environment (set by make check): srcdir, builddir, MANDATE, XMLLINT.
: "${srcdir:=.}" "${builddir:=.}" "${MANDATE:=$builddir/mandate}"
export MANDATE_DATADIR="${MANDATE_DATADIR:-$srcdir}"
export LC_ALL=C

tap_count=0
tap_failed=0

plan() { echo "1..$1"; }

ok() {  # ok CONDITION-STATUS DESCRIPTION
	tap_count=$((tap_count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_count - $2"
	else
		echo "not ok $tap_count - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

is() {  # is EXPECTED SEEN DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '# wanted: %s\n#   seen: %s\n' "$1" "$2" | head -40
	fi
}

skip() { tap_count=$((tap_count + 1)); echo "ok $tap_count # skip $1"; }

diag() { printf '# %s\n' "$@"; }

bail() { echo "Bail out! $*"; exit 255; }

# A fresh scratch directory under the build tree, removed at exit.
scratch() {
	mkdir -p "$builddir/tests/tmp"
	tmp=$(mktemp -d "$builddir/tests/tmp/$(basename "$0" .sh).XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
}

done_testing() {
	echo "1..$tap_count"
	[ "$tap_failed" -eq 0 ]
	exit $?
}
