#!/usr/bin/env bash
# How credentials travel (docs/SECURITY.md): plain http:// is refused, exit 2
# naming the variable, for every URL that receives a secret, unless the host is
# this machine or CLASSY_SYNC_ALLOW_HTTP=1; TLS is always verified, and
# CLASSY_SYNC_CA_FILE names the CA bundle to trust (a private CA).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
command -v python3 >/dev/null || fail "python3 is not installed (scripts/bootstrap installs it)"
command -v openssl >/dev/null || fail "openssl is not installed (scripts/bootstrap installs it)"
cs_env
cs_ok db migrate

expect_refused() { # VAR URL ARGS...: exit 2, the message names VAR and the way out
  local var=$1 url=$2; shift 2
  env "$var=$url" CLASSY_SYNC_ALLOW_HTTP= "$CS_BIN" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null &&
    rc=0 || rc=$?
  assert_eq "$rc" 2 "exit status of '$*' with $var=$url"
  grep -qF "$var: '$url' is plain http to another machine" "$TEST_TMP/err" &&
    grep -qF "CLASSY_SYNC_ALLOW_HTTP=1" "$TEST_TMP/err" ||
    { cat "$TEST_TMP/err"; fail "no message naming $var"; }
}
export MAILCHIMP_API_KEY=k-0123456789-us6 MAILCHIMP_LIST_ID=l1
expect_refused CLASSY_TOKEN_URL http://api.classy.org/oauth2/auth status
expect_refused CLASSY_API_URL http://10.1.2.3:8080/2.0 status
expect_refused CLASSY_API_URL http://127.0.0.1.nip.io/2.0 sync all
expect_refused MAILCHIMP_API_URL http://us6.api.mailchimp.com/3.0 mailchimp sync --dry-run
# this machine, or an explicit opt-in: accepted
CLASSY_API_URL=http://127.0.0.1:9/2.0 cs_ok status
CLASSY_API_URL=http://[::1]:9/2.0 cs_ok status
CLASSY_API_URL=http://localhost:9/2.0 cs_ok status
CLASSY_SYNC_ALLOW_HTTP=1 CLASSY_API_URL=http://10.1.2.3:8080/2.0 cs_ok status
CLASSY_SYNC_ALLOW_HTTP=1 cs_ok config show
grep -qE "^CLASSY_SYNC_ALLOW_HTTP +1$" "$OUT" || { cat "$OUT"; fail "config show lacks the variable"; }
unset MAILCHIMP_API_KEY MAILCHIMP_LIST_ID

# TLS: a server whose certificate is signed by nobody the system trusts.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$TEST_TMP/key.pem" -out "$TEST_TMP/cert.pem" \
  2>/dev/null || fail "openssl cannot make a test certificate"
cat >"$TEST_TMP/tls.py" <<'EOF'
# An HTTPS stand-in for Classy: a token, and organization 1001. Logs each request.
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, body):
        with open(sys.argv[3], "a") as f:
            f.write(self.command + " " + self.path + "\n")
        b = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.answer('{"access_token":"tls-token-0123456789","expires_in":3600}')
    def do_GET(self):
        self.answer('{"id":1001,"name":"Org over TLS"}')
    def log_message(self, *args):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
EOF
: >"$TEST_TMP/requests.log"
exec {tls_fd}< <(exec python3 "$TEST_TMP/tls.py" "$TEST_TMP/cert.pem" "$TEST_TMP/key.pem" \
  "$TEST_TMP/requests.log" 2>"$TEST_TMP/tls.err")
tls_pid=$!
lib_on_exit "kill $tls_pid 2>/dev/null"
IFS= read -r -t 60 port <&"$tls_fd" || { cat "$TEST_TMP/tls.err"; fail "the TLS server did not start"; }
export CLASSY_API_URL="https://127.0.0.1:$port/2.0" CLASSY_TOKEN_URL="https://127.0.0.1:$port/oauth2/auth"
export CLASSY_CLIENT_SECRET=tls-secret-value

# Not trusted: the handshake fails, nothing is sent, the message says why.
cs org add --org-id 1001 --client-id tls-client
assert_eq "$RC" 1 "exit status against an untrusted certificate"
grep -q "TLS certificate is not trusted.*CLASSY_SYNC_CA_FILE" "$ERR" ||
  { cat "$ERR"; fail "the failure does not name the certificate and the way out"; }
assert_eq "$(wc -l <"$TEST_TMP/requests.log")" 0 "requests that reached an untrusted server"
# Trusted through CLASSY_SYNC_CA_FILE: verified (token, then the organization).
CLASSY_SYNC_CA_FILE="$TEST_TMP/cert.pem" cs_ok org add --org-id 1001 --client-id tls-client
grep -q "Org over TLS" "$OUT" || { cat "$OUT"; fail "org add did not verify over TLS"; }
assert_eq "$(cat "$TEST_TMP/requests.log")" "POST /oauth2/auth
GET /2.0/organizations/1001" "requests over TLS"
# A CA file that does not hold the signer: still refused (verification is never off).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other -keyout "$TEST_TMP/k2.pem" \
  -out "$TEST_TMP/other.pem" 2>/dev/null
CLASSY_SYNC_CA_FILE="$TEST_TMP/other.pem" cs org add --org-id 1002 --client-id tls-client
assert_eq "$RC" 1 "exit status with the wrong CA file"
assert_eq "$(wc -l <"$TEST_TMP/requests.log")" 2 "requests with the wrong CA file"
echo ok
