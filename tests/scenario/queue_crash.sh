#!/bin/bash
# The kill -9 loop of issue 4 (tests/queue-crash.sh) as a scenario group:
# KILLS=n overrides the number of kills per phase (default 200).
exec bash "$(dirname "$0")/../queue-crash.sh" "$@"
