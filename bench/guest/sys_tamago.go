//go:build tamago

package main

import (
	"os"

	_ "github.com/yolkos/yolk/board"
	"github.com/yolkos/yolk/boot"
)

// bootNanos is the time from the first instruction to main.
func bootNanos() int64 { return int64(boot.MillisSinceReset() * 1e6) }

// exit ends the program; QEMU exits too (semihosting, or PSCI power off).
func exit() { os.Exit(0) }
