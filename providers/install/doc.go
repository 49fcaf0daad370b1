// Package install finds third-party provider plugins on disk, selects the
// version the configuration asks for, records the choice in the dependency
// lock file (berth.lock.hcl) and verifies a plugin binary against that lock
// before it is launched.
//
// # Sources and built-in providers
//
// A provider's source address is "namespace/name", e.g. "acme/dns". A source
// with no namespace ("docker") or with the reserved namespace "berth"
// ("berth/docker") names a built-in provider: one compiled into the berth
// binary (see Builtins). Built-in providers ship with berth itself, so they
// are never searched for, locked or verified: the berth binary is their
// version. Any other namespace is a third-party provider.
//
// # Plugin directories
//
// A third-party provider is an executable at
//
//	<plugin dir>/<namespace>/<name>/<version>/<os>_<arch>/berth-provider-<name>
//
// where <version> is the canonical semantic version ("1.2.0", "2.0.0-beta1")
// and <os>_<arch> is the platform berth runs on ("linux_amd64"). Plugin
// directories are searched in order (see SearchDirs): the -plugin-dir flags
// of "berth init" (remembered for later commands in .berth/plugin-dirs), the
// entries of $BERTH_PLUGIN_DIR, then ~/.berth/plugins. Anything in them that
// does not fit the layout is skipped silently, so a plugin directory may be
// shared with other tools.
//
// # The lock file
//
// "berth init" writes berth.lock.hcl next to the configuration, with one
// provider block per third-party source: the selected version, the
// constraints it was selected under and the sha256 of the binary. The file
// is meant to be committed. Later runs call Resolve, which refuses to launch
// a binary whose checksum is not in the lock.
package install
