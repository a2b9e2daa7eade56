#!/bin/sh
# Crash simulation: mandate run over the sample days killed with SIGKILL
# just before its N-th file-system write call, for each N (a crash after
# every call); the walk and its checks are tests/cmd/faults-t.sh's.
#   make check TESTS=tests/cmd/crashes-t.sh FAULT_FULL=1
FAULT_ACTION=kill
export FAULT_ACTION
. "${srcdir:-.}/tests/cmd/faults-t.sh"
