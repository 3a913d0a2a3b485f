//go:build !tamago

// Command yolk builds, runs and tests Go programs and packages on yolk,
// for QEMU's virt machine or the Raspberry Pi 4, from any Go module:
//
//	go get -tool github.com/yolkos/yolk/cmd/yolk
//	go tool yolk new hello && cd hello
//	go tool yolk run -net -fwd 8080:80 .
//	go tool yolk test ./...
//
// Subcommands:
//
//	build  [-board B] [-o OUT] [pkg]        an ELF, or for rpi4 the SD card directory
//	run    [-board B] [qemu flags] [pkg|ELF|DIR] [-- args]
//	                                        boot it in QEMU; the guest's exit status
//	test   [-board B] [qemu flags] [go test flags] [packages] [-args ...]
//	                                        go test, every test binary run in QEMU
//	image  [-o IMG] DIR                     an SD card image of a built rpi4 directory
//	flash  [-y] [-n] DEV DIR                write that image to an SD card, after safety checks
//	doctor                                  check the toolchain, QEMU and the disk tools
//	new    [-board B] DIR                   a module template that builds, runs and tests
//
// The qemu flags are -smp N, -m SIZE, -gic 2|3, -el2, -net, -fwd RULE,
// -env NAME=value, -env NAME and -timeout D. A program chooses no board in
// its source: it imports github.com/yolkos/yolk/board, and -board picks
// the board it is linked with (default qemu-virt).
//
// Every error is one line that says what to do. Exit status: the guest's
// for run and test; 2 for usage errors; 1 for other failures.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

const usage = `usage: go tool yolk <command> [arguments]

  build  [-board B] [-o OUT] [pkg]         build an ELF (rpi4: the SD card directory)
  run    [-board B] [qemu flags] [pkg|ELF|DIR] [-- args]
                                           boot it in QEMU and exit with its status
  test   [-board B] [qemu flags] [go test flags] [packages] [-args ...]
                                           go test, each test binary run in QEMU
  image  [-o IMG] DIR                      SD card image of a built rpi4 directory
  flash  [-y] [-n] DEV DIR                 write a built rpi4 directory to an SD card
  doctor                                   check Go, the TamaGo toolchain, QEMU, dtc, disk tools
  new    DIR                               make a module that builds, runs and tests

boards: qemu-virt (default), rpi4
qemu flags: -smp N  -m SIZE  -gic 2|3  -el2  -net  -fwd HOSTPORT:GUESTPORT
            -env NAME=value  -env NAME  -timeout DURATION
Run 'go tool yolk <command> -h' for a command's flags.
`

// usageError marks errors in the user's invocation: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries a status to exit with and nothing to print (the
// guest's status).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

var prog = "yolk"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	cmds := map[string]func([]string) error{
		"build":  cmdBuild,
		"run":    cmdRun,
		"test":   cmdTest,
		"image":  cmdImage,
		"flash":  cmdFlash,
		"doctor": cmdDoctor,
		"new":    cmdNew,
		// Not for users: go test runs test binaries through exec, and
		// run-qemu.sh is run-qemu.
		"exec":     cmdExec,
		"run-qemu": cmdRunQEMU,
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" || name == "help" {
		fmt.Print(usage)
		return 0
	}
	f, ok := cmds[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "yolk: unknown command %q; run 'go tool yolk help'\n", name)
		return 2
	}
	err := f(args[1:])
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "%s: %s\n", prog, oneLine(ue.msg))
		return 2
	default:
		fmt.Fprintf(os.Stderr, "%s: %s\n", prog, oneLine(err.Error()))
		return 1
	}
}

// oneLine drops a message's trailing newlines: a message is one line,
// unless it carries a tool's output (go build's errors) on the next ones.
func oneLine(s string) string { return strings.TrimRight(s, "\n") }
