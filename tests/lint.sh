#!/bin/sh
# make lint: banned functions (DESIGN §9), then cppcheck when installed.
cd "$(dirname "$0")/.." || exit 1
rc=0
banned='\b(strcpy|strcat|sprintf|strtok|atoi|alarm|system|gets|setjmp|longjmp)[[:space:]]*\('
if grep -nE "$banned" src/*.c src/*.h tests/relay/*.c 2>/dev/null |
    grep -vE '^\S+:[0-9]+:\s*(\*|/\*)'; then
	echo "lint: banned function used (see DESIGN §9)"
	rc=1
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
