#!/bin/sh
# lib-deb.sh - Debian packages unpacked into a test tree, never installed.
#
# Sourced by the interop groups whose server conflicts with Postfix as the
# system MTA (Exim, OpenSMTPD): installing it would remove Postfix, so the
# group fetches the .deb with `apt-get download`, unpacks it with
# `dpkg -x` into its own directory and runs it from there. Library
# dependencies that the host lacks are fetched and unpacked the same way
# (LD_LIBRARY_PATH points at them). Downloads are cached in
# tests/tmp/debs, so only the first run needs the package mirror. Nothing
# on the host changes but that cache (and apt's package lists, refreshed
# once when a package is not known yet).
#
#	deb_fetch PKG...	the .debs of PKG and of the libraries they
#				need that are not installed; false (with
#				DEB_WHY) when one cannot be had
#	deb_unpack DIR		unpacks every .deb deb_fetch got into DIR
#	deb_libpath DIR		the LD_LIBRARY_PATH for a tree in DIR
#	deb_missing_libs DIR BIN
#				the shared objects BIN still lacks

DEB_TOP=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
DEB_CACHE=$DEB_TOP/tests/tmp/debs
DEB_GOT=
DEB_WHY=
DEB_UPDATED=0

deb_installed() {
	case $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) in
	*" installed") return 0 ;;
	esac
	return 1
}

deb_file() {
	# deb_file PKG: the cached .deb of PKG (empty when not cached).
	ls "$DEB_CACHE/$1"_*.deb 2>/dev/null | head -n 1
}

deb_download() {
	# deb_download PKG: into the cache, via a scratch directory so a
	# half-done download never looks cached.
	[ -n "$(deb_file "$1")" ] && return 0
	command -v apt-get >/dev/null 2>&1 || { DEB_WHY="no apt-get"; return 1; }
	mkdir -p "$DEB_CACHE"
	d=$(mktemp -d "$DEB_CACHE/dl.XXXXXX") || return 1
	for try in 1 2; do
		if (cd "$d" && apt-get download -q -o APT::Sandbox::User=root \
		    "$1") >"$d/log" 2>&1; then
			mv "$d"/*.deb "$DEB_CACHE/" && rm -rf "$d"
			return 0
		fi
		# An old or empty package list: refresh it once.
		[ "$try" = 1 ] && [ "$DEB_UPDATED" = 0 ] || break
		DEB_UPDATED=1
		apt-get update -qq >/dev/null 2>&1 || break
	done
	DEB_WHY="apt-get download $1 failed: $(grep -E '^E:' "$d/log" |
	    head -n 1)"
	rm -rf "$d"
	return 1
}

deb_lib_depends() {
	# deb_lib_depends DEB: the library packages DEB depends on (first
	# of each set of alternatives). Tools that only its maintainer
	# scripts need (adduser, debconf, ...) are of no use unpacked.
	dpkg-deb -f "$1" Depends Pre-Depends 2>/dev/null |
	    sed 's/^[A-Za-z-]*: //' | tr ',' '\n' | sed 's/|.*//; s/(.*)//;
	    s/:any//; s/[[:space:]]//g' | grep '^lib' | sort -u
}

deb_fetch() {
	# The packages asked for, then their missing libraries, to a fixed
	# point (bounded: a library chain is a few levels deep).
	todo="$*"
	round=0
	while [ -n "$todo" ] && [ $round -lt 8 ]; do
		next=
		for p in $todo; do
			case " $DEB_GOT " in *" $p "*) continue ;; esac
			deb_download "$p" || return 1
			DEB_GOT="$DEB_GOT $p"
			for dep in $(deb_lib_depends "$(deb_file "$p")"); do
				deb_installed "$dep" && continue
				next="$next $dep"
			done
		done
		todo=$next
		round=$((round + 1))
	done
	return 0
}

deb_unpack() {
	mkdir -p "$1"
	for p in $DEB_GOT; do
		dpkg -x "$(deb_file "$p")" "$1" ||
		    { DEB_WHY="dpkg -x $p failed"; return 1; }
	done
}

deb_libpath() {
	printf '%s/usr/lib/x86_64-linux-gnu:%s/lib/x86_64-linux-gnu:%s/usr/lib' \
	    "$1" "$1" "$1"
	a=$(dpkg --print-architecture 2>/dev/null)
	[ "$a" = amd64 ] || printf ':%s/usr/lib/%s-linux-gnu' "$1" \
	    "$(uname -m)"
}

deb_missing_libs() {
	LD_LIBRARY_PATH=$(deb_libpath "$1") ldd "$2" 2>&1 |
	    awk '/not found/ { print $1 }' | tr '\n' ' '
}
