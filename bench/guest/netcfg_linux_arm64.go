package main

import "syscall"

// sysFinitModule is finit_module(2)'s number.
const sysFinitModule = syscall.SYS_FINIT_MODULE
