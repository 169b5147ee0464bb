#!/usr/bin/env bash
# Makes the certificates for Vigil's mutual TLS (DESIGN.md §8) with nothing but the openssl CLI:
# an EC P-256 CA, a hub certificate and one client certificate per agent, all in one directory.
#
# Invariants:
# - Idempotent: an existing ca.pem is reused, never replaced unless --force-ca is given. A leaf
#   (hub or agent) is kept when its key matches it, the current CA signed it, its validity is what
#   was asked for (current / expired / not yet valid) and, for the hub, its names are the ones asked
#   for; otherwise it is made again. A second identical run changes nothing.
# - Everything is built in a private temp directory and moved into DIR only when complete, so DIR
#   never holds half-written files or anything besides *.pem and *.key.
# - Keys are EC P-256 and mode 0600; certificates are SHA-256, mode 0644, with random serials.
set -euo pipefail

readonly PROG=${0##*/}
readonly ID_PATTERN='^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'
readonly DNS_PATTERN='^[A-Za-z0-9*]([A-Za-z0-9.*-]{0,252})$'
readonly IP_PATTERN='^[0-9A-Fa-f:.]{2,45}$'
readonly SERVICE_PATTERN='^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'
readonly CA_SUBJECT='/O=Vigil/CN=Vigil CA'
readonly CA_MIN_DAYS=3650

usage() {
    cat <<EOF
usage: $PROG DIR [options]

Makes (or keeps, when already right) in DIR:
  ca.pem ca.key                    an EC P-256 certificate authority
  hub.pem hub.key                  the hub's certificate, CN=vigil-hub
  agent-ID.pem agent-ID.key        one client certificate per agent, CN=ID, DNS:ID, and a URI SAN
                                   vigil:service:NAME per --service given after its --agent

options:
  --hub-name NAME       DNS name of the hub (repeatable; default: localhost)
  --hub-ip IP           IP address of the hub (repeatable; default: 127.0.0.1 and ::1)
  --agent ID            make a certificate for agent ID (repeatable)
  --service NAME        the agent named by the --agent before it may speak only for service NAME
                        (repeatable; '*' for every service; none: the certificate does not restrict)
  --agent-expired ID    make agent ID's certificate with a validity entirely in the past (tests)
  --agent-future ID     make agent ID's certificate with a validity entirely in the future (tests)
  --force-ca            replace an existing CA (and so every certificate made in this run)
  --days N              validity of hub and agent certificates in days (default: 825);
                        the CA lasts max(N, $CA_MIN_DAYS) days
  -h, --help            show this help

Agent IDs match $ID_PATTERN.
EOF
}

die_usage() {
    echo "$PROG: $*" >&2
    usage >&2
    exit 2
}

die() {
    echo "$PROG: $*" >&2
    exit 1
}

# --- arguments ------------------------------------------------------------------------------------

dir=""
hub_names=()
hub_ips=()
agents=()
declare -A agent_services=()
last_agent=""
expired_agents=()
future_agents=()
force_ca=0
days=825

need_value() {
    [[ $# -ge 2 && -n $2 ]] || die_usage "option $1 needs a value"
}

while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --hub-name) need_value "$@"; hub_names+=("$2"); shift 2 ;;
        --hub-ip) need_value "$@"; hub_ips+=("$2"); shift 2 ;;
        --agent) need_value "$@"; agents+=("$2"); last_agent=$2; shift 2 ;;
        --service)
            need_value "$@"
            [[ -n $last_agent ]] || die_usage "--service '$2' must follow the --agent it is for"
            [[ $2 == '*' || $2 =~ $SERVICE_PATTERN ]] ||
                die_usage "bad --service '$2' for agent '$last_agent': expected '*' or a name matching $SERVICE_PATTERN"
            agent_services[$last_agent]+="${agent_services[$last_agent]:+ }$2"
            shift 2
            ;;
        --agent-expired) need_value "$@"; expired_agents+=("$2"); last_agent=$2; shift 2 ;;
        --agent-future) need_value "$@"; future_agents+=("$2"); last_agent=$2; shift 2 ;;
        --force-ca) force_ca=1; shift ;;
        --days) need_value "$@"; days=$2; shift 2 ;;
        --)
            shift
            [[ $# -le 1 && ( $# -eq 0 || -z $dir ) ]] || die_usage "more than one DIR given"
            [[ $# -eq 0 ]] || { dir=$1; shift; }
            ;;
        -*) die_usage "unknown option '$1'" ;;
        *)
            [[ -z $dir ]] || die_usage "more than one DIR given ('$dir' and '$1')"
            dir=$1
            shift
            ;;
    esac
done

[[ -n $dir ]] || die_usage "missing DIR"
[[ $days =~ ^[1-9][0-9]{0,4}$ ]] || die_usage "--days must be a whole number of days from 1 to 99999, got '$days'"
[[ ${#hub_names[@]} -gt 0 ]] || hub_names=(localhost)
[[ ${#hub_ips[@]} -gt 0 ]] || hub_ips=(127.0.0.1 ::1)

for name in "${hub_names[@]}"; do
    [[ $name =~ $DNS_PATTERN ]] || die_usage "bad --hub-name '$name': expected a DNS name"
done
for ip in "${hub_ips[@]}"; do
    [[ $ip =~ $IP_PATTERN ]] || die_usage "bad --hub-ip '$ip': expected an IPv4 or IPv6 address"
done

declare -A seen_ids=()
for id in ${agents[@]+"${agents[@]}"} ${expired_agents[@]+"${expired_agents[@]}"} \
    ${future_agents[@]+"${future_agents[@]}"}; do
    [[ $id =~ $ID_PATTERN ]] || die_usage "bad agent id '$id': must match $ID_PATTERN"
    [[ -z ${seen_ids[$id]+x} ]] || die_usage "agent id '$id' is given more than once"
    seen_ids[$id]=1
done

command -v openssl >/dev/null || die "openssl not found on PATH"

# --- workspace ------------------------------------------------------------------------------------

mkdir -p -- "$dir"
umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-certs.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

# Every openssl call gets this config, so the system openssl.cnf (its default extensions, its
# policies) never leaks into what we make.
cat >"$work/openssl.cnf" <<'EOF'
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
[ v3_ca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF

# Minimal `openssl ca` setup, used only for certificates with explicit validity dates.
mkdir -p "$work/ca-db"
: >"$work/ca-db/index.txt"
openssl rand -hex 15 >"$work/ca-db/serial"
cat >"$work/ca.cnf" <<EOF
[ ca ]
default_ca = vigil_ca
[ vigil_ca ]
dir = $work/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
EOF

# --- helpers --------------------------------------------------------------------------------------

# Runs openssl quietly; on failure shows what it said and stops.
ossl() {
    if ! openssl "$@" >"$work/openssl.out" 2>&1; then
        cat "$work/openssl.out" >&2
        die "openssl $1 failed"
    fi
}

# Prints the UTC time `$1` days from now as YYYYMMDDHHMMSSZ (GNU or BSD date).
utc_time_in_days() {
    local epoch=$(($(date +%s) + $1 * 86400))
    date -u -d "@$epoch" +%Y%m%d%H%M%SZ 2>/dev/null || date -u -r "$epoch" +%Y%m%d%H%M%SZ
}

new_key() {
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
        -out "$1"
}

# A positive 120-bit serial as hex, so it always fits the 20-octet limit of RFC 5280.
random_serial() {
    echo "0x$(openssl rand -hex 15)"
}

# Succeeds when the key file `$2` holds the private key of certificate `$1`.
key_matches() {
    local cert_pub key_pub
    cert_pub=$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null) || return 1
    key_pub=$(openssl pkey -in "$2" -pubout 2>/dev/null) || return 1
    [[ -n $cert_pub && $cert_pub == "$key_pub" ]]
}

# Succeeds when `$1` was signed by the current CA, ignoring dates.
signed_by_ca() {
    openssl verify -no_check_time -CAfile "$dir/ca.pem" "$1" >/dev/null 2>&1
}

# Prints current, expired or future for certificate `$1`.
validity_of() {
    if ! openssl x509 -in "$1" -noout -checkend 0 >/dev/null 2>&1; then
        echo expired
    elif openssl verify -CAfile "$dir/ca.pem" "$1" >/dev/null 2>&1; then
        echo current
    else
        echo future
    fi
}

# Succeeds when the pair `$1.pem`/`$1.key` in DIR is signed by the current CA, has validity `$2` and
# (when `$3` is given) a subjectAltName printing the same as the one in probe certificate `$3`.
leaf_is_current() {
    local cert="$dir/$1.pem" key="$dir/$1.key"
    [[ -f $cert && -f $key ]] || return 1
    key_matches "$cert" "$key" || return 1
    signed_by_ca "$cert" || return 1
    [[ $(validity_of "$cert") == "$2" ]] || return 1
    if [[ -n ${3:-} ]]; then
        # Quoted on the right too: unquoted it is a pattern, and a '*' service would match anything.
        [[ $(openssl x509 -in "$cert" -noout -ext subjectAltName 2>/dev/null) == \
            "$(openssl x509 -in "$3" -noout -ext subjectAltName 2>/dev/null)" ]] || return 1
    fi
}

# Moves the finished pair from the workspace into DIR with the right modes.
install_pair() {
    local name=$1
    chmod 0600 "$work/$name.key"
    chmod 0644 "$work/$name.pem"
    mv -f -- "$work/$name.key" "$dir/$name.key"
    mv -f -- "$work/$name.pem" "$dir/$name.pem"
}

# Writes an x509v3 extension section named `leaf` for a leaf certificate to file `$1`.
#   $2: extendedKeyUsage value; $3: subjectAltName value
write_leaf_extensions() {
    cat >"$1" <<EOF
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = $2
subjectAltName = $3
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
}

# Issues `$1.pem`/`$1.key` in the workspace.
#   $2: common name; $3: extendedKeyUsage; $4: subjectAltName;
#   $5: current | expired | future
issue_leaf() {
    local name=$1 cn=$2 eku=$3 san=$4 validity=$5
    local key="$work/$name.key" csr="$work/$name.csr" ext="$work/$name.ext"
    new_key "$key"
    ossl req -new -config "$work/openssl.cnf" -key "$key" -subj "/CN=$cn" -out "$csr"
    write_leaf_extensions "$ext" "$eku" "$san"
    case $validity in
        current)
            ossl x509 -req -in "$csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -set_serial "$(random_serial)" \
                -days "$days" -sha256 -extfile "$ext" -extensions leaf -out "$work/$name.pem"
            ;;
        expired | future)
            # openssl 3.0 `x509 -req` cannot set explicit dates (-not_before/-not_after came in 3.4);
            # `openssl ca` can, on every version in use, so it is the one path for dated certificates.
            local start end
            if [[ $validity == expired ]]; then
                start=$(utc_time_in_days -30) end=$(utc_time_in_days -1)
            else
                start=$(utc_time_in_days 30) end=$(utc_time_in_days $((30 + days)))
            fi
            ossl ca -batch -config "$work/ca.cnf" -cert "$dir/ca.pem" -keyfile "$dir/ca.key" -rand_serial \
                -startdate "$start" -enddate "$end" -notext -extfile "$ext" -extensions leaf \
                -in "$csr" -out "$work/$name.pem"
            ;;
    esac
    install_pair "$name"
}

# --- the CA ---------------------------------------------------------------------------------------

ca_days=$((days > CA_MIN_DAYS ? days : CA_MIN_DAYS))
if [[ -f $dir/ca.pem && $force_ca -eq 0 ]]; then
    [[ -f $dir/ca.key ]] || die "$dir/ca.pem exists but $dir/ca.key does not; cannot sign (use --force-ca to replace the CA)"
    key_matches "$dir/ca.pem" "$dir/ca.key" ||
        die "$dir/ca.key is not the key of $dir/ca.pem (use --force-ca to replace the CA)"
    echo "kept    $dir/ca.pem"
else
    if [[ -f $dir/ca.key && ! -f $dir/ca.pem && $force_ca -eq 0 ]]; then
        die "$dir/ca.key exists without ca.pem; refusing to replace it (use --force-ca)"
    fi
    new_key "$work/ca.key"
    ossl req -x509 -new -config "$work/openssl.cnf" -extensions v3_ca -key "$work/ca.key" \
        -subj "$CA_SUBJECT" -days "$ca_days" -sha256 -set_serial "$(random_serial)" -out "$work/ca.pem"
    install_pair ca
    echo "created $dir/ca.pem"
fi

# --- the hub --------------------------------------------------------------------------------------

hub_san=""
for name in "${hub_names[@]}"; do hub_san+="${hub_san:+, }DNS:$name"; done
for ip in "${hub_ips[@]}"; do hub_san+="${hub_san:+, }IP:$ip"; done

# A throwaway self-signed certificate carrying the wanted names, so the existing hub certificate's
# names can be compared in the form openssl prints them (IPv6 spelling and all).
new_key "$work/probe.key"
openssl req -x509 -new -config "$work/openssl.cnf" -key "$work/probe.key" -subj /CN=probe -days 1 \
    -addext "subjectAltName = $hub_san" -out "$work/probe.pem" >/dev/null 2>&1 ||
    die_usage "openssl rejected the hub names and addresses: $hub_san"

if leaf_is_current hub current "$work/probe.pem"; then
    echo "kept    $dir/hub.pem"
else
    issue_leaf hub vigil-hub "serverAuth, clientAuth" "$hub_san" current
    echo "created $dir/hub.pem ($hub_san)"
fi

# --- the agents -----------------------------------------------------------------------------------

# The subjectAltName of agent `$1`: its DNS name and a URI vigil:service:NAME per --service.
agent_san() {
    local san="DNS:$1" service services
    # Split on spaces, never glob ('*' stays '*'); sorted and without repeats, so the order of the --service
    # options does not make a new certificate.
    read -r -a services <<<"$(tr ' ' '\n' <<<"${agent_services[$1]:-}" | LC_ALL=C sort -u | tr '\n' ' ')"
    for service in ${services[@]+"${services[@]}"}; do san+=", URI:vigil:service:$service"; done
    echo "$san"
}

make_agent() {
    local id=$1 validity=$2 san
    san=$(agent_san "$id")
    # A probe with the wanted names, so a certificate whose services changed is made again.
    openssl req -x509 -new -config "$work/openssl.cnf" -key "$work/probe.key" -subj /CN=probe -days 1 \
        -addext "subjectAltName = $san" -out "$work/probe-agent.pem" >/dev/null 2>&1 ||
        die_usage "openssl rejected the names of agent '$id': $san"
    if leaf_is_current "agent-$id" "$validity" "$work/probe-agent.pem"; then
        echo "kept    $dir/agent-$id.pem"
    else
        issue_leaf "agent-$id" "$id" clientAuth "$san" "$validity"
        local what=""
        [[ $validity == current ]] || what=$validity
        [[ -z ${agent_services[$id]:-} ]] || what+="${what:+, }services ${agent_services[$id]// /, }"
        echo "created $dir/agent-$id.pem${what:+ ($what)}"
    fi
}

for id in ${agents[@]+"${agents[@]}"}; do make_agent "$id" current; done
for id in ${expired_agents[@]+"${expired_agents[@]}"}; do make_agent "$id" expired; done
for id in ${future_agents[@]+"${future_agents[@]}"}; do make_agent "$id" future; done

# Certificates left in DIR from earlier runs that the current CA did not sign no longer work.
for cert in "$dir"/agent-*.pem; do
    [[ -f $cert ]] || continue
    signed_by_ca "$cert" || echo "$PROG: warning: $cert was not signed by the current CA; run again with --agent for it" >&2
done
