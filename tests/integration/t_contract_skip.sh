#!/usr/bin/env bash
# A clone with nothing beside it has no vendor OpenAPI documents (they are
# Classy's and Mailchimp's, kept in ../shared/specs on the project machine).
# Every contract test must then say SKIPPED, why and how to provide them, and
# exit 0, so `make test` passes in such a clone (they start nothing then:
# no Prism, no sandbox).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

empty=$TEST_TMP/specs-absent
mkdir -p "$empty"
for t in run mailchimp schema; do
	out=$(CLASSY_SYNC_SPEC_DIR=$empty CONTRACT_DIR=$TEST_TMP/c-$t bash "$CS_SRC/tests/contract/$t" 2>&1) ||
		fail "tests/contract/$t failed without the documents (it must skip): $out"
	grep -q "^SKIPPED  tests/contract/$t: the OpenAPI document is not at $empty/" <<<"$out" ||
		fail "tests/contract/$t did not say SKIPPED with the path: $out"
	grep -q "set CLASSY_SYNC_SPEC_DIR" <<<"$out" || fail "tests/contract/$t did not say how to provide the document: $out"
	grep -q "^contract: 0 passed, 0 failed$" <<<"$out" || fail "tests/contract/$t counted something: $out"
done
