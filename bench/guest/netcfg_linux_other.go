//go:build linux && !arm64

package main

// sysFinitModule: the guest loads modules only as arm64 init; 0 says
// finit_module(2) is not wired up here.
const sysFinitModule = 0
