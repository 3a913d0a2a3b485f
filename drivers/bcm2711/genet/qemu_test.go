//go:build tamago

package genet

// The package's tests also run on the target (make test-qemu): the same
// register-block model, with the real cache maintenance of drivers/dma
// and the generic counter bounding the MDIO waits.

import _ "github.com/yolkos/yolk/board/qemu-virt"
