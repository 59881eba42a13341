# The request rate the sandbox saw, against one budget. Source after lib.sh.
#   budget_stats            print the sandbox's stats (JSON)
#   budget_check LIMIT MAX429
#                           fail unless, since the last reset-stats, the sandbox answered at
#                           most MAX429 429s, no second saw more API requests than one budget of
#                           LIMIT a minute hands out in a second (ceil(LIMIT/60), plus 1 for a
#                           request sent at the end of a second that arrives in the next), and
#                           no 60 consecutive seconds saw more than LIMIT. Prints the busiest
#                           second and minute.
#   budget_all_shared       fail unless every API request the sandbox saw since the last
#                           reset-stats took its send time from the database (rate_slots):
#                           the slots handed out are at least as many (a budget skips the
#                           indexes of a second's past, so they may be more)

budget_stats() { sandbox_admin GET stats; }

budget_all_shared() {
  local seen slots
  seen=$(budget_stats | jq '[.per_second[][1]] | add // 0')
  slots=$(db "SELECT COALESCE(SUM(used), 0) FROM rate_slots")
  echo "requests: $seen; send times handed out through the database: $slots"
  [ "$slots" -ge "$seen" ] ||
    fail "$seen requests, but only $slots send times came from the database: some processes paced alone"
}

budget_check() {
  local limit=$1 max429=$2 st per_s max_s max_m
  st=$(budget_stats)
  per_s=$(( (limit + 59) / 60 + 1 ))
  max_s=$(jq '[.per_second[][1]] | max // 0' <<<"$st")
  # the busiest window of 60 consecutive seconds (seconds without requests count 0)
  max_m=$(jq '.per_second as $p | [$p[] | .[0] as $t |
      [$p[] | select(.[0] >= $t and .[0] < $t + 60) | .[1]] | add] | max // 0' <<<"$st")
  echo "busiest second: $max_s requests (at most $per_s); busiest minute: $max_m (at most $limit);" \
    "429s: $(jq .throttled <<<"$st")"
  [ "$(jq .requests <<<"$st")" -gt 0 ] || fail "the sandbox saw no request"
  [ "$(jq .throttled <<<"$st")" -le "$max429" ] || fail "the sandbox answered $(jq .throttled <<<"$st") 429s"
  [ "$max_s" -le "$per_s" ] ||
    fail "a second saw $max_s requests, more than one budget of $limit/min allows: $(jq -c .per_second <<<"$st")"
  [ "$max_m" -le "$limit" ] || fail "60 seconds saw $max_m requests, more than $limit"
}
