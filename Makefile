# yolk: build and run bare-metal Go on QEMU virt (and the Raspberry Pi 4).
#
#   make qemu    build cmd/demo for board/qemu-virt and boot it in QEMU
#   make test    host tests, then every package's tests inside QEMU
#   make kernel  just build the image (build/yolk.elf)
#   make clean

# The TamaGo toolchain, installed into the user cache by `go tool tamago`
# the first time it runs (it builds tamago-go matching go.mod's tamago).
TAMAGO ?= $(shell go tool -n github.com/usbarmory/tamago/cmd/tamago)

APP      ?= ./cmd/demo
BUILD    ?= build
SMP      ?= 2
MEM      ?= 512M

# qemu-virt puts RAM at 1 GiB and the device tree at its base; the image
# is linked 2 MiB above it (-T: text start, -R: segments page aligned).
TEXT_START := 0x40210000
LDFLAGS    := -T $(TEXT_START) -R 0x1000
export YOLK_LDFLAGS := $(LDFLAGS)
TARGET_ENV := GOOS=tamago GOARCH=arm64 GOOSPKG=github.com/usbarmory/tamago

RUN_QEMU := $(CURDIR)/run-qemu.sh

.PHONY: all kernel qemu test test-host test-qemu clean toolchain

all: kernel

toolchain:
	@go tool tamago version >/dev/null

kernel: $(BUILD)/yolk.elf

$(BUILD)/yolk.elf: toolchain FORCE
	@mkdir -p $(BUILD)
	$(TARGET_ENV) $(TAMAGO) build -ldflags "$(LDFLAGS)" -o $@ $(APP)

FORCE:

qemu: $(BUILD)/yolk.elf
	$(RUN_QEMU) -smp $(SMP) -m $(MEM) -timeout 0 $(BUILD)/yolk.elf

test: test-host test-qemu

# Host tests: everything that runs on the build machine.
test-host: toolchain
	# MMIO and page tables turn physical addresses into pointers by design.
	go vet -unsafeptr=false ./...
	go test ./...

# Target tests: each package's tests built for the board and run in QEMU.
test-qemu: toolchain
	$(TARGET_ENV) $(TAMAGO) test -ldflags "$(LDFLAGS)" -exec $(RUN_QEMU) $(QEMU_PKGS)

# A package is tested under QEMU when it has a qemu_test.go (whose tests,
# like the package's other *_test.go files, then run on the target).
QEMU_PKGS ?= $(sort $(dir $(shell find . -name qemu_test.go -not -path "./build/*")))

clean:
	rm -rf $(BUILD)
