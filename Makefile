# yolk: build and run bare-metal Go on QEMU virt (and the Raspberry Pi 4).
#
#   make qemu    build cmd/demo for board/qemu-virt and boot it in QEMU
#   make test    host tests, then every package's tests inside QEMU
#   make kernel  just build the image (build/yolk.elf)
#   make clean

# The yolk tool (cmd/yolk, `go tool yolk`): it builds programs for a board,
# boots them in QEMU and runs go test inside QEMU. The link addresses and
# QEMU command lines live in internal/target, nowhere else.
YOLK := $(shell go tool -n yolk)

# The TamaGo toolchain, installed into the user cache by `go tool tamago`
# the first time it runs (it builds tamago-go matching go.mod's tamago).
TAMAGO ?= $(shell go tool -n github.com/usbarmory/tamago/cmd/tamago)

APP      ?= ./cmd/demo
BUILD    ?= build
SMP      ?= 2
MEM      ?= 512M
TARGET_ENV := GOOS=tamago GOARCH=arm64 GOOSPKG=github.com/usbarmory/tamago

.PHONY: all kernel qemu test test-host test-fuzz test-qemu bench soak bursts clean toolchain

all: kernel

toolchain:
	@go tool tamago version >/dev/null

kernel: $(BUILD)/yolk.elf

$(BUILD)/yolk.elf: toolchain FORCE
	@mkdir -p $(BUILD)
	$(YOLK) build -o $@ $(APP)

FORCE:

# The demo's servers are forwarded to the host: http://localhost:8080/,
# https://localhost:8443/, TCP and UDP echo on localhost:8007.
HOSTFWD ?= 8080:80 8443:443 8007:7 udp:8007:7

qemu: $(BUILD)/yolk.elf
	$(YOLK) run -smp $(SMP) -m $(MEM) -net $(addprefix -fwd ,$(HOSTFWD)) $(BUILD)/yolk.elf

test: test-host test-fuzz test-qemu

# Host tests: everything that runs on the build machine.
test-host: toolchain
	# MMIO and page tables turn physical addresses into pointers by design.
	go vet -unsafeptr=false ./...
	$(TARGET_ENV) $(TAMAGO) vet -unsafeptr=false ./...
	# -p 1: packages that boot QEMU (test/, test/rpi4) one at a time, so a
	# saturated host does not make QEMU's user network drop connections.
	# -count=1: those packages build guests from sources go test's cache
	# does not see, so a cached result could hide a broken guest.
	YOLK_LONG=1 go test -count=1 -p 1 ./...

# Fuzzing at the trust boundaries, FUZZTIME per target (make test runs each
# briefly; FUZZTIME=10m for a real search). Each entry is PACKAGE:TARGET;
# go test fuzzes one target at a time. New inputs are not minimized
# (minimizing one can take a whole short run); a failing input is saved
# under the package's testdata/fuzz, where it becomes a test case. Go
# 1.26's fuzzing coordinator can fail a run that found nothing with
# "context deadline exceeded" as -fuzztime ends (golang/go#75804, seen
# under make test): such a run, with no input written, is reported and
# passes; any other failure fails.
FUZZTIME ?= 10s
FUZZ_TARGETS ?= ./devicetree:FuzzParse ./devicetree:FuzzEarly \
	./netstack/dhcp:FuzzParseFrame ./board/bootargs:FuzzCommandLine ./netstack:FuzzParseStatic \
	./netstack:FuzzFramesIntoStack

test-fuzz:
	@set -e; mkdir -p $(BUILD); log=$(BUILD)/fuzz.log; for t in $(FUZZ_TARGETS); do \
		echo "go test -run '^$$' -fuzz '^$${t#*:}$$' -fuzztime $(FUZZTIME) $${t%%:*}"; \
		( st=0; go test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 0 $${t%%:*} 2>&1 || st=$$?; \
		  echo $$st >$$log.status ) | tee $$log; \
		[ "$$(cat $$log.status)" = 0 ] && continue; \
		if ! grep -q 'Failing input written' $$log && \
			[ "$$(grep -A1 -e '^--- FAIL' $$log | sed 1d)" = "    context deadline exceeded" ]; then \
			echo "test-fuzz: $${t#*:} found no failing input; its FAIL is Go's fuzzing coordinator reporting its own -fuzztime deadline (golang/go#75804, fixed in Go 1.27)"; \
			continue; \
		fi; \
		exit 1; \
	done

# Target tests: each package's tests built for the board and run in QEMU
# by `go tool yolk test` (2 cores, GICv2, full-length tests: yolk.long=1
# reaches the guest's environment), then the multi-core packages again on
# 1, 2 and 4 cores with GICv2 and GICv3, and on 8 cores with GICv3 (GICv2
# stops at 8, and more guest cores than host CPUs is a case of its own).
# -count=1: go test's cache cannot see the machine a test ran on.
test-qemu: toolchain
	$(YOLK) test -count=1 -smp 2 -env yolk.long=1 $(QEMU_PKGS)
	$(YOLK) test -count=1 -smp 1 $(SMP_PKGS)
	$(YOLK) test -count=1 -smp 4 $(SMP_PKGS)
	$(YOLK) test -count=1 -smp 1 -gic 3 $(SMP_PKGS)
	$(YOLK) test -count=1 -smp 2 -gic 3 $(SMP_PKGS)
	$(YOLK) test -count=1 -smp 4 -gic 3 $(SMP_PKGS)
	$(YOLK) test -count=1 -smp 8 -gic 3 $(SMP_PKGS)

# A package is tested under QEMU when it has a qemu_test.go (whose tests,
# like the package's other *_test.go files, then run on the target).
QEMU_PKGS ?= $(sort $(dir $(shell find . -name qemu_test.go -not -path "./build/*")))
SMP_PKGS  ?= ./sched/ ./kernel/gic/

# Benchmarks: one program on yolk and on a Linux arm64 guest, same QEMU
# command line, side by side (QUICK=1: a few seconds per row; RT=1: at
# real-time priority, isolated from other processes' load; needs root).
bench: toolchain
	go run ./bench/harness $(if $(QUICK),-quick) $(if $(STRICT),-strict) $(if $(RT),-rt)

# Soak: the default application under HTTP, HTTPS, TCP and UDP echo load
# for SOAK (10m; SOAK=1h for longer; CI runs 90s), failing on any error or
# stall and on goroutine or live-heap growth (bench/harness/soak.go).
SOAK ?= 10m

soak: toolchain
	go run ./bench/harness -soak $(SOAK)

# Connection bursts (held connections, connect/close, TLS handshakes) on
# yolk and on the Linux guest, same QEMU line: docs/BURSTS.md (QUICK=1:
# smaller bursts, build/bench/BURSTS-quick.md).
bursts: toolchain
	go run ./bench/harness -bursts $(if $(QUICK),-quick)

# The Raspberry Pi 4 board: make rpi4, rpi4-firmware, flash, test-rpi4, qemu-rpi4.
include rpi4.mk

clean:
	rm -rf $(BUILD)
