#!/bin/sh
# make lint: banned functions, functions over 80 lines and cycles between
# files (the rules of the README's Hacking section), then cppcheck when
# installed.
cd "$(dirname "$0")/.." || exit 1
rc=0
banned='\b(strcpy|strcat|sprintf|strtok|atoi|alarm|system|gets|setjmp|longjmp)[[:space:]]*\('
if grep -nE "$banned" src/*.c src/*.h tests/relay/*.c 2>/dev/null |
    grep -vE '^\S+:[0-9]+:\s*(\*|/\*)'; then
	echo "lint: banned function used (see README, Hacking)"
	rc=1
fi
# The project explains itself: no file cites a document outside it or
# an issue number instead of saying what the code or test is about.
if grep -rnwE 'DESIG[N]|[Ii]ssue [0-9]+' src tests/*.sh tests/scenario \
    tests/interop tests/unit tests/relay tests/fuzz man README conf contrib \
    Makefile 2>/dev/null; then
	echo "lint: cite the project's own docs (README, man pages), not"
	echo "      outside documents or issue numbers"
	rc=1
fi
# A function body is the lines between a "{" and a "}" in column 0 (KNF
# puts both there, and nothing else); its name is the last line before
# it that starts with an identifier and "(".
long=$(awk -v max=80 '
	FNR == 1 { name = ""; start = 0 }
	/^[A-Za-z_][A-Za-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
	/^\{/ { start = FNR }
	/^\}/ && start { n = FNR - start - 1
		if (n > max) printf "%s: %s() is %d lines\n", FILENAME, name, n
		start = 0 }' src/*.c tests/relay/*.c)
if [ -n "$long" ]; then
	printf '%s\n' "$long"
	echo "lint: functions over 80 lines (see README, Hacking)"
	rc=1
fi
# Files call and include only downward: no cycle in the call graph
# between src/*.c or in the #include graph (tests/cycles.pl; it must
# first find both kinds in its sample, tests/cycles).
if ! command -v perl >/dev/null 2>&1; then
	echo "lint: perl is needed for the cycle check"
	rc=1
else
	out=$(perl tests/cycles.pl tests/cycles)
	case $out in
	*"call cycle: a.c -> b.c -> a.c"*"include cycle: x.h -> y.h -> x.h"*)
		;;
	*)	echo "lint: tests/cycles.pl misses the cycles of tests/cycles"
		rc=1 ;;
	esac
	perl tests/cycles.pl src || rc=1
fi
if command -v cppcheck >/dev/null 2>&1; then
	cppcheck -q --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr -D__GNUC__ --std=c11 -Isrc src || rc=1
elif [ "${REQUIRE_CPPCHECK:-0}" = 1 ]; then
	# CI (.ci/run): a lint without cppcheck would pass unseen.
	echo "lint: cppcheck is not installed (make deps installs it)"
	rc=1
fi
[ "$rc" = 0 ] && echo "lint: clean"
exit $rc
