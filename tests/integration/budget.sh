# The request rate the sandbox saw, against one budget. Source after lib.sh and cs.sh.
#   budget_stats            print the sandbox's stats (JSON)
#   budget_check LIMIT MAX429
#                           fail unless, since the last reset-stats, the sandbox answered at
#                           most MAX429 429s, no 60 consecutive seconds saw more API requests
#                           than LIMIT, and no 3 consecutive seconds more than 4 seconds' share
#                           of one budget (4 x ceil(LIMIT/60): one second's worth of slack for
#                           requests a stalled process or sandbox sent or counted late; two
#                           processes pacing alone see about 6 seconds' worth). Prints the
#                           busiest second, 3 seconds and minute.
#   budget_all_shared LIMIT fail unless every API request the sandbox saw since the last
#                           reset-stats took its send time from the database (rate_slots: the
#                           send times handed out are at least as many; a budget skips the
#                           indexes of a second's past, so they may be more) and no second of
#                           rate_slots handed out more than one budget's share of it

budget_stats() { sandbox_admin GET stats; }

# The busiest window of N consecutive seconds in stats $1 (seconds without requests count 0).
_budget_busiest() {
  jq --argjson n "$2" '.per_second as $p | [$p[] | .[0] as $t |
      [$p[] | select(.[0] >= $t and .[0] < $t + $n) | .[1]] | add] | max // 0' <<<"$1"
}

budget_check() {
  local limit=$1 max429=$2 st per_s s1 s3 m
  st=$(budget_stats)
  per_s=$(( (limit + 59) / 60 ))
  s1=$(_budget_busiest "$st" 1); s3=$(_budget_busiest "$st" 3); m=$(_budget_busiest "$st" 60)
  echo "busiest second: $s1 requests (one budget's share: $per_s); busiest 3 s: $s3 (at most" \
    "$((4 * per_s))); busiest minute: $m (at most $limit); 429s: $(jq .throttled <<<"$st")"
  [ "$(jq .requests <<<"$st")" -gt 0 ] || fail "the sandbox saw no request"
  [ "$(jq .throttled <<<"$st")" -le "$max429" ] || fail "the sandbox answered $(jq .throttled <<<"$st") 429s"
  [ "$s3" -le $((4 * per_s)) ] ||
    fail "3 seconds saw $s3 requests, more than one budget of $limit/min allows: $(jq -c .per_second <<<"$st")"
  [ "$m" -le "$limit" ] || fail "60 seconds saw $m requests, more than $limit"
}

budget_all_shared() {
  local limit=$1 seen slots most pace
  seen=$(budget_stats | jq '[.per_second[][1]] | add // 0')
  slots=$(db "SELECT COALESCE(SUM(used), 0) FROM rate_slots")
  most=$(db "SELECT COALESCE(MAX(used), 0) FROM rate_slots")
  pace=$((limit - (limit + 99) / 100)) # the budget's pace: 1 % under the limit
  echo "requests: $seen; send times handed out through the database: $slots, at most $most in a second"
  [ "$slots" -ge "$seen" ] ||
    fail "$seen requests, but only $slots send times came from the database: some processes paced alone"
  [ "$most" -le $(( (pace + 59) / 60 )) ] || fail "a second of rate_slots handed out $most send times"
}
