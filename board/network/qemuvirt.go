//go:build tamago && !yolk_rpi4

package network

import (
	virtnet "github.com/yolkos/yolk/board/qemu-virt/network"
	virtionet "github.com/yolkos/yolk/drivers/virtio/net"
	"github.com/yolkos/yolk/netstack"
)

func start() (*netstack.Stack, error) { return virtnet.Start() }

func current() *Interface {
	d, st := virtnet.Device, virtnet.Stack
	if d == nil || st == nil {
		return nil
	}
	return &Interface{
		Stack: st, MAC: d.HardwareAddr(), IRQ: virtnet.IRQ, Err: d.Err,
		Features: virtionet.FeatureNames(d.Features()),
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
