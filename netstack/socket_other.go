//go:build !tamago

package netstack

import "net/netip"

// On a host the resolver keeps the system's configuration.
func setNameservers([]netip.AddrPort) {}
