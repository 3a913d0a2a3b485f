//go:build benchnet && !linux && !tamago

package main

// startNetwork: an ordinary process uses the host's network as it is.
func startNetwork(ip, gw string) error { return nil }
