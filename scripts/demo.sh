#!/usr/bin/env bash
# Runs the whole ats-auth story on this machine: a server on a temporary SQLite file, a
# user, a token verified with the secret, one revocation, then a revocation of all of the
# user's tokens. Each step prints what it checks; any unexpected response stops with exit 1.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

if [[ -n ${ATS_AUTH_BIN:-} ]]; then
  ats=("$ATS_AUTH_BIN")
else
  ats=(node "$PWD/ats-auth.ts")
fi

work=$(mktemp -d)
server_pid=''
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" && wait "$server_pid" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'demo failed: %s\n' "$*" >&2; exit 1; }

# Prints the HTTP status of GET /token/verify for a token, as a gateway would see it.
gateway_status() {
  node -e '
    fetch(new URL("token/verify", process.argv[1]), { headers: { Authorization: `Bearer ${process.argv[2]}` } })
      .then((answer) => console.log(answer.status));
  ' "$ATS_AUTH_URL" "$1"
}

export ATSAUTH_DB="$work/ats-auth.db"
export ATSAUTH_SERVER_LISTEN_ADDRESS=127.0.0.1
export ATSAUTH_SERVER_LISTEN_PORT=0
ATSAUTH_SERVER_JWT_SECRET=$(node -e 'console.log(crypto.randomBytes(32).toString("base64url"))')
export ATSAUTH_SERVER_JWT_SECRET
password=$(node -e 'console.log(crypto.randomBytes(12).toString("base64url"))')

step "Start the server on $ATSAUTH_DB"
"${ats[@]}" server 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
  grep -q 'Listening on' "$work/server.log" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail 'the server did not start'; }
  sleep 0.1
done
ATS_AUTH_URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$work/server.log" | head -n 1)
[[ -n $ATS_AUTH_URL ]] || fail 'the server printed no address'
export ATS_AUTH_URL
echo "server listening on $ATS_AUTH_URL"

step 'Add the user marco'
printf '%s\n' "$password" | "${ats[@]}" user add marco --password-stdin
"${ats[@]}" user list

step 'Create a token for marco (password on standard input)'
token=$(printf '%s\n' "$password" | "${ats[@]}" token create --username marco --password-stdin)
echo "token: ${token%.*}.<signature>"

step 'Create a token with -v and the jwt_secret configured: the claims are verified'
config="$work/auth-client.ini"
printf '[client]\njwt_secret = %s\n' "$ATSAUTH_SERVER_JWT_SECRET" >"$config"
chmod 600 "$config"
printf '%s\n' "$password" | "${ats[@]}" --config "$config" -v token create --username marco --password-stdin \
  2>"$work/verbose.log" >/dev/null
cat "$work/verbose.log"
grep -q "^claims: {'exp': " "$work/verbose.log" || fail 'no verified claims line'

step 'A wrong jwt_secret: Signature verification failed'
printf '[client]\njwt_secret = not-the-secret\n' >"$config"
if printf '%s\n' "$password" | "${ats[@]}" --config "$config" token create --username marco --password-stdin \
  2>"$work/wrong.log" >/dev/null; then
  fail 'a wrong secret was accepted'
fi
cat "$work/wrong.log"
grep -q 'Signature verification failed' "$work/wrong.log" || fail 'no verification failure message'

step 'The gateway endpoint accepts the token'
status=$(gateway_status "$token")
echo "GET /token/verify -> $status"
[[ $status == 204 ]] || fail "expected 204, got $status"

step 'Revoke the token; the gateway now refuses it'
"${ats[@]}" token revoke "$token"
status=$(gateway_status "$token")
echo "GET /token/verify -> $status"
[[ $status == 401 ]] || fail "expected 401, got $status"

step 'Create two more tokens, then revoke all tokens of marco'
first=$(printf '%s\n' "$password" | "${ats[@]}" token create --username marco --password-stdin)
second=$(printf '%s\n' "$password" | "${ats[@]}" token create --username marco --password-stdin)
"${ats[@]}" token revoke-all --as-user marco --token "$second"
for revoked in "$first" "$second"; do
  status=$(gateway_status "$revoked")
  echo "GET /token/verify (earlier token) -> $status"
  [[ $status == 401 ]] || fail "expected 401, got $status"
done

step 'A token issued after the revocation is valid'
fresh=$(printf '%s\n' "$password" | "${ats[@]}" token create --username marco --password-stdin)
status=$(gateway_status "$fresh")
echo "GET /token/verify (new token) -> $status"
[[ $status == 204 ]] || fail "expected 204, got $status"

step 'Stop the server'
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=''
tail -n 3 "$work/server.log"

printf '\nDemo passed: every step gave the expected answer.\n'
