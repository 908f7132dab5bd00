#!/usr/bin/env bash
# Fails if the program's sources use a banned function (as git's banned.h
# does at compile time): unbounded copies and parsers that hide errors.
set -u
cd "$(dirname "$0")/.."
banned='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)[[:space:]]*\('
if grep -nE "$banned" crawler/*.c include/*.h tests/*.c tests/support/*.[ch]; then
	echo "check-source: banned function used (see above)" >&2
	exit 1
fi
echo "check-source: no banned functions"
