//go:build tamago

// Command demo is yolk's default application: it boots, says hello and
// exits. `make qemu` runs it.
package main

import (
	"fmt"
	"runtime"
	"time"

	_ "github.com/yolkos/yolk/board/qemu-virt"
)

func main() {
	fmt.Printf("hello from Go %s on %d core(s); it is %s\n", runtime.Version(), runtime.NumCPU(), time.Now().UTC().Format(time.RFC1123))
}
