# Helpers for the Mailchimp plugin tests. Source after lib.sh and cs.sh.
#   mc_setup [SANDBOX ARGS...]  start the sandbox (Classy + Mailchimp), sync one org into a
#                               fresh database, export the MAILCHIMP_* variables
#   mc_stats FIELD              a field of /__sandbox/mc/stats (jq path, e.g. .writes)
#   mc_reset_stats
#   mc_member EMAIL             the sandbox's member (JSON) for EMAIL, or null
#   mc_members                  every member of the sandbox list (JSON array)
#   sendable                    consenting contacts with a valid-looking email (SQL count)

mc_setup() {
  sandbox_start --orgs 1 --supporters 150 --transactions 600 --plans 30 "$@"
  cs_env
  cs_add_org 1001
  cs_ok sync all full
  export MAILCHIMP_API_KEY=sandbox-key-us1
  export MAILCHIMP_LIST_ID=sandbox-list
  export MAILCHIMP_API_URL="$SANDBOX_URL/3.0"
}

mc_stats() { curl -sf "$SANDBOX_URL/__sandbox/mc/stats" | jq -r "$1"; }
mc_reset_stats() { curl -sf -X POST "$SANDBOX_URL/__sandbox/mc/reset-stats" >/dev/null; }
mc_members() { curl -sf "$SANDBOX_URL/__sandbox/mc/members" | jq -c '.members'; }
mc_member() {
  curl -sf "$SANDBOX_URL/__sandbox/mc/members" |
    jq -c --arg e "$1" '[.members[] | select((.email_address | ascii_downcase) == ($e | ascii_downcase))][0]'
}
sendable() {
  db "SELECT COUNT(*) FROM contact_segments WHERE $(cs_consent_sql)
      AND email_address LIKE '%_@_%._%' AND email_address NOT LIKE '% %'"
}
