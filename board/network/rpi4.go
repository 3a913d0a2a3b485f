//go:build tamago && yolk_rpi4

package network

import (
	pinet "github.com/yolkos/yolk/board/rpi4/network"
	"github.com/yolkos/yolk/netstack"
)

func start() (*netstack.Stack, error) { return pinet.Start() }

func current() *Interface {
	d, st := pinet.Device, pinet.Stack
	if d == nil || st == nil {
		return nil
	}
	return &Interface{
		Stack: st, MAC: d.HardwareAddr(), IRQ: pinet.IRQ, Err: d.Err,
		Counters: func() Counters {
			s := &d.Stats
			return Counters{
				RxFrames: s.RxFrames.Load(), RxBytes: s.RxBytes.Load(), RxDrops: s.RxDrops.Load(), RxErrors: s.RxErrors.Load(),
				TxFrames: s.TxFrames.Load(), TxBytes: s.TxBytes.Load(), TxDrops: s.TxDrops.Load(), TxErrors: s.TxErrors.Load(),
				Interrupts: s.Interrupts.Load(),
			}
		},
	}
}
