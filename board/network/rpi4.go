//go:build tamago && yolk_rpi4

package network

import (
	pinet "github.com/yolkos/yolk/board/rpi4/network"
	"github.com/yolkos/yolk/netstack"
)

func start() (*netstack.Stack, error) { return pinet.Start() }

func current() *Interface { return nil }
