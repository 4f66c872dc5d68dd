#!/bin/bash
# The CI entry point (.ci/run) lints as well as tests: it runs `make
# lint` (banned functions, long functions, cycles between files,
# cppcheck) with cppcheck required, and `make check`. A stand-in
# `make` on PATH records what .ci/run asks for.
. "$(dirname "$0")/../lib.sh"

t_begin ".ci/run runs make deps, make lint (cppcheck required), make check"
mkdir -p "$T/bin"
cat >"$T/bin/make" <<-EOM
	#!/bin/sh
	echo "\$* REQUIRE_CPPCHECK=\${REQUIRE_CPPCHECK:-}" >>"$T/calls"
EOM
chmod 755 "$T/bin/make"
PATH=$T/bin:$PATH sh "$TOP/.ci/run" </dev/null >"$T/out" 2>&1
r=$?
[ "$r" = 0 ] || fail ".ci/run exit $r: $(cat "$T/out")"
grep -q '^lint REQUIRE_CPPCHECK=1$' "$T/calls" ||
    fail "no make lint with cppcheck required: $(tr '\n' ';' <"$T/calls")"
grep -q '^check ' "$T/calls" || fail "no make check"
[ "$(grep -n '^lint ' "$T/calls" | cut -d: -f1)" -lt \
    "$(grep -n '^check ' "$T/calls" | cut -d: -f1)" ] 2>/dev/null ||
    fail "lint does not come before check"
t_end

t_begin "the lint fails, saying why, when cppcheck is required but missing"
mkdir -p "$T/bin"
for c in grep sh cat dirname; do ln -sf "$(command -v "$c")" "$T/bin/$c"; done
PATH=$T/bin REQUIRE_CPPCHECK=1 "$T/bin/sh" "$TOP/tests/lint.sh" \
    >"$T/out" 2>&1
r=$?
[ "$r" != 0 ] || fail "lint passed without cppcheck"
grep -q 'cppcheck is not installed' "$T/out" || fail "lint: $(cat "$T/out")"
t_end

t_begin "the cycle check names the files and the function of a call back up"
mkdir -p "$T/src"
cp "$TOP"/src/*.c "$TOP"/src/*.h "$T/src/"
# deadline.c is the leaf under conn.c: make it call conn.c.
printf '\nvoid\ndeadline_probe(struct conn *c)\n{\n\tconn_close(c);\n}\n' \
    >>"$T/src/deadline.c"
perl "$TOP/tests/cycles.pl" "$T/src" >"$T/out" 2>&1
r=$?
[ "$r" = 1 ] || fail "exit $r, not 1: $(head -c 600 "$T/out")"
grep -q '^lint: call cycle: conn\.c -> deadline\.c -> conn\.c$' "$T/out" &&
    grep -q '^    deadline\.c -> conn\.c (conn_close)$' "$T/out" ||
    fail "cycle not named: $(head -c 600 "$T/out")"
perl "$TOP/tests/cycles.pl" "$TOP/src" >"$T/out" 2>&1 ||
    fail "the tree has a cycle: $(head -c 600 "$T/out")"
t_end

t_begin "make lint passes on this tree"
if ! command -v cppcheck >/dev/null; then
	t_skip "$CASE" "cppcheck is not installed"
else
	REQUIRE_CPPCHECK=1 sh "$TOP/tests/lint.sh" >"$T/out" 2>&1 ||
	    fail "lint: $(head -c 600 "$T/out")"
	t_end
fi

t_finish
