#!/usr/bin/env bash
# The short form of the fault campaign (`make test-faults`, tests/faults/run): three kill -9
# at seeded moments (a full sync, an incremental sync, a Mailchimp push), each resumed and
# checked exact against the source. A fixed seed keeps `make test` deterministic;
# FAULT_SEED=N tries other moments.
set -euo pipefail
FAULT_SEED=${FAULT_SEED:-4242} FAULT_KILLS=${FAULT_KILLS:-3} FAULT_MATRIX=0 \
  exec bash "$CS_SRC/tests/faults/run"
