#!/bin/bash
# The kill -9 loop (tests/queue-crash.sh) as a scenario group:
# KILLS=n overrides the number of kills per phase (default 200).
# The valgrind pass of make check leaves it out: the loop kills the
# binary at random instants (valgrind would only slow every kill), and
# the same loop has already run in the plain pass.
if [ -n "${VALGRIND:-}" ]; then
	echo "skip - queue-crash: not under valgrind (ran in the plain pass)"
	exit 0
fi
exec bash "$(dirname "$0")/../queue-crash.sh" "$@"
