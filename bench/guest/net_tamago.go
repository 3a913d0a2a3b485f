//go:build benchnet && tamago

package main

import (
	"os"

	"github.com/yolkos/yolk/board/network"
)

// startNetwork brings up the virtio-net device under yolk's TCP/IP stack
// with the address ip (prefix) and gateway gw, unless the boot arguments
// give their own (ip=, gw=): the same static configuration as the Linux
// guest's, so neither runs a DHCP client.
func startNetwork(ip, gw string) error {
	if os.Getenv("ip") == "" {
		os.Setenv("ip", ip)
		if os.Getenv("gw") == "" && gw != "" {
			os.Setenv("gw", gw)
		}
	}
	_, err := network.Start()
	return err
}
