//go:build tamago

// Package network is the Raspberry Pi 4's counterpart of
// board/qemu-virt/network, so that one application builds for both
// boards. The Pi 4's Ethernet (the BCM2711's GENET controller) has no
// yolk driver yet: Start says so and fails.
package network

import (
	"errors"

	"github.com/yolkos/yolk/netstack"
)

// ErrNoDriver is what Start returns.
var ErrNoDriver = errors.New("network: the Raspberry Pi 4's Ethernet (BCM2711 GENET) has no yolk driver yet: network parts disabled")

// Start fails: see ErrNoDriver.
func Start() (*netstack.Stack, error) { return nil, ErrNoDriver }
