module github.com/yolkos/yolk

go 1.26.0

tool (
	github.com/usbarmory/tamago/cmd/tamago
	github.com/yolkos/yolk/cmd/yolk
)

require (
	github.com/google/pprof v0.0.0-20261105003125-4bf881d7fb0b
	github.com/usbarmory/tamago v1.26.0
	golang.org/x/arch v0.33.0
	golang.org/x/sys v0.43.0
	gvisor.dev/gvisor v0.0.0-20260518063529-209a0ce076a1
)

require (
	github.com/google/btree v1.1.2 // indirect
	golang.org/x/exp v0.0.0-20250711185948-6ae5c78190dc // indirect
	golang.org/x/time v0.15.0 // indirect
)
