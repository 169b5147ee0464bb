#!/usr/bin/env bash
# Builds the Debian packages vigil-agent, vigil-hub (with vigilctl) and libvigil-dev with dpkg-deb.
#
#   deploy/package.sh BIN_DIR OUT_DIR
#
# BIN_DIR holds release builds of vigil-agent, vigil-hub and vigilctl linked with --static-swift-stdlib
# (`make package` makes them), so the packages need no Swift toolchain on the host: only the system libraries
# the binaries load, which Depends names package by package (found with objdump and dpkg -S, not written by
# hand). libvigil-dev is `make -C Agent/Clients/C install PREFIX=/usr` staged under OUT_DIR.
# Binaries are stripped of debug information but keep their symbols, so a crash still prints a readable
# backtrace. Checked by PackageTests in `make test`.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 BIN_DIR OUT_DIR" >&2
    exit 2
fi
bin_dir=$(cd "$1" && pwd)
mkdir -p "$2"
out_dir=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
for binary in vigil-agent vigil-hub vigilctl; do
    [ -x "$bin_dir/$binary" ] || { echo "package: $bin_dir/$binary is missing" >&2; exit 1; }
done

version=$("$bin_dir/vigil-agent" --version)
hub_version=$("$bin_dir/vigil-hub" --version)
if [ "$version" != "$hub_version" ]; then
    echo "package: vigil-agent is $version but vigil-hub is $hub_version" >&2
    exit 1
fi
architecture=$(dpkg --print-architecture)
maintainer="Vigil engineers <vigil@localhost>"
# zstd by default: seconds instead of a minute of xz for the 200 MB of binaries, read by dpkg 1.21.18 and later
# (Debian 12, Ubuntu 22.04). DEB_COMPRESSION=xz for older hosts: a third smaller, and slower to build.
compression=${DEB_COMPRESSION:-zstd}

# The Debian packages that provide the shared libraries the given ELF files load directly.
depends_of() {
    local library path package
    for library in $(objdump -p "$@" | awk '/NEEDED/ { print $2 }' | sort -u); do
        path=$(ldconfig -p | awk -v name="$library" '$1 == name && /x86-64|x86_64|AArch64/ { print $NF; exit }')
        [ -n "$path" ] || { echo "package: no system library $library (needed by $*)" >&2; exit 1; }
        package=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null ||
            dpkg -S "/usr$path" 2>/dev/null) || { echo "package: no Debian package owns $path" >&2; exit 1; }
        echo "${package%%:*}"
    done | sort -u | paste -sd, | sed 's/,/, /g'
}

# control PACKAGE DIRECTORY DEPENDS SECTION SUMMARY DESCRIPTION: writes DIRECTORY/DEBIAN/control.
control() {
    local size
    size=$(du -sk --exclude=DEBIAN "$2" | cut -f1)
    mkdir -p "$2/DEBIAN"
    cat > "$2/DEBIAN/control" <<EOF
Package: $1
Version: $version
Architecture: $architecture
Maintainer: $maintainer
Installed-Size: $size
Depends: $3
Section: $4
Priority: optional
Description: $5
$(echo "$6" | fold -s -w 78 | sed -e 's/ *$//' -e 's/^/ /')
EOF
}

# The maintainer scripts of a daemon package: the vigil user and group, /etc/vigil readable by the group
# (systemd's ConfigurationDirectory= sets the mode but not the owner), systemd told about the unit. The unit
# is not enabled or started: it needs certificates and an edited configuration first.
daemon_scripts() {
    local package=$1 directory=$2
    cat > "$directory/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
    getent group vigil >/dev/null || groupadd --system vigil
    getent passwd vigil >/dev/null ||
        useradd --system --gid vigil --home-dir /var/lib/vigil --no-create-home --shell /usr/sbin/nologin \\
            --comment "Vigil agent and hub" vigil
    chown root:vigil /etc/vigil /etc/vigil/*.yaml
    chmod 0750 /etc/vigil
    chmod 0640 /etc/vigil/*.yaml
fi
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
    systemctl try-restart $package.service >/dev/null || true
fi
EOF
    cat > "$directory/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
if [ "\$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop $package.service >/dev/null || true
    systemctl disable $package.service >/dev/null 2>&1 || true
fi
EOF
    cat > "$directory/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
fi
# The vigil user, /var/lib/vigil (the buffer, perhaps holding records not yet shipped) and /etc/vigil stay
# on purge: remove them by hand once nothing in them is needed.
EOF
    chmod 0755 "$directory/DEBIAN/postinst" "$directory/DEBIAN/prerm" "$directory/DEBIAN/postrm"
}

docs() {
    local package=$1 directory=$2
    install -d "$directory/usr/share/doc/$package"
    install -m 0644 "$root/README.md" "$directory/usr/share/doc/$package/README.md"
    cat > "$directory/usr/share/doc/$package/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Vigil
Source: the Vigil repository

Files: *
Copyright: 2026 the Vigil engineers
License: none-chosen
 No licence has been chosen for Vigil yet; these packages are for installation inside the organisation
 that builds them.
EOF
}

build() {
    dpkg-deb --root-owner-group -Z"$compression" --build "$1" "$out_dir/$(basename "$1")_${version}_$architecture.deb" >/dev/null
}

stage=$(mktemp -d "$out_dir/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# vigil-agent
agent=$stage/vigil-agent
install -d "$agent/usr/bin" "$agent/lib/systemd/system" "$agent/etc/vigil"
strip --strip-debug -o "$agent/usr/bin/vigil-agent" "$bin_dir/vigil-agent"
install -m 0644 "$root/deploy/systemd/vigil-agent.service" "$agent/lib/systemd/system/"
install -m 0640 "$root/deploy/agent.yaml" "$agent/etc/vigil/agent.yaml"
docs vigil-agent "$agent"
depends=$(depends_of "$agent/usr/bin/vigil-agent") # an assignment, so that a failure stops the script
control vigil-agent "$agent" "$depends, passwd" admin \
    "Vigil agent: host samples and application events, shipped exactly once" \
    "Samples CPU, memory, disk and queue depth, takes the events applications write to /run/vigil/agent.sock \
(members of the vigil group), keeps them in a durable SQLite buffer and ships them to a Vigil hub over \
mutual TLS; nothing is lost through a crash, a full disk or a dead connection. The unit is installed but \
not enabled: put the certificates in /etc/vigil, edit /etc/vigil/agent.yaml, check it with \
'vigil-agent check-config /etc/vigil/agent.yaml', then 'systemctl enable --now vigil-agent'."
echo /etc/vigil/agent.yaml > "$agent/DEBIAN/conffiles"
daemon_scripts vigil-agent "$agent"
build "$agent"

# vigil-hub, with vigilctl
hub=$stage/vigil-hub
install -d "$hub/usr/bin" "$hub/lib/systemd/system" "$hub/etc/vigil" "$hub/usr/share/doc/vigil-hub/examples"
strip --strip-debug -o "$hub/usr/bin/vigil-hub" "$bin_dir/vigil-hub"
strip --strip-debug -o "$hub/usr/bin/vigilctl" "$bin_dir/vigilctl"
install -m 0644 "$root/deploy/systemd/vigil-hub.service" "$hub/lib/systemd/system/"
install -m 0640 "$root/deploy/hub.yaml" "$hub/etc/vigil/hub.yaml"
install -m 0644 "$root/deploy/rules.example.yaml" "$hub/usr/share/doc/vigil-hub/examples/rules.yaml"
install -m 0644 "$root/deploy/rules.example.test.yaml" "$hub/usr/share/doc/vigil-hub/examples/rules.test.yaml"
docs vigil-hub "$hub"
depends=$(depends_of "$hub/usr/bin/vigil-hub" "$hub/usr/bin/vigilctl")
control vigil-hub "$hub" "$depends, passwd" admin \
    "Vigil hub and vigilctl: exactly-once store, canary verdicts, breakers, autoscaling, alerts" \
    "Receives the Vigil agents' streams over mutual TLS, stores every record exactly once in SQLite or \
PostgreSQL, judges each service version against the others with evidence, recommends circuit breakers and \
replica counts, fires alerts, and serves the admin API, Prometheus /metrics and the dashboard. vigilctl \
queries it. The unit is installed but not enabled: put the certificates in /etc/vigil, edit \
/etc/vigil/hub.yaml, check it with 'vigil-hub check-config /etc/vigil/hub.yaml', then \
'systemctl enable --now vigil-hub'."
echo /etc/vigil/hub.yaml > "$hub/DEBIAN/conffiles"
daemon_scripts vigil-hub "$hub"
build "$hub"

# libvigil-dev: the C client (headers, static and shared library, pkg-config file)
dev=$stage/libvigil-dev
make -s -C "$root/Agent/Clients/C" install PREFIX=/usr DESTDIR="$dev" >/dev/null
install -d "$dev/usr/share/doc/libvigil-dev/examples"
install -m 0644 "$root/Agent/Clients/C/example.c" "$dev/usr/share/doc/libvigil-dev/examples/example.c"
docs libvigil-dev "$dev"
depends=$(depends_of "$dev"/usr/lib/libvigil.so.*)
control libvigil-dev "$dev" "$depends, libprotobuf-c-dev" libdevel \
    "C client of the Vigil agent (libvigil)" \
    "Sends application events to the local Vigil agent's socket without blocking the application: a bounded \
in-memory queue, a drop counter, reconnects with backoff, and vigil_flush, which returns once what was sent \
is durable at the agent. Build with 'pkg-config --cflags --libs vigil'."
build "$dev"

ls "$out_dir"/*.deb
