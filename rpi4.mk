# rpi4.mk: the Raspberry Pi 4 (included by the Makefile).
#
#   make rpi4            build APP for board/rpi4 and lay out the SD card in
#                        build/rpi4/sd (kernel8.img, config.txt, firmware...)
#   make rpi4-firmware   download start4.elf and fixup4.dat and verify their
#                        checksums (needs internet access; once)
#   make rpi4-image      an SD card image of build/rpi4/sd (one FAT32
#                        partition): build/rpi4/yolk-sd.img, for dd or an imager
#   make flash DEV=/dev/sdX [YES=1]
#                        write that image to an SD card, after safety checks
#   make test-rpi4       host tests of the Pi 4 code, then the guest tests
#                        under qemu-system-aarch64 -M raspi4b
#   make qemu-rpi4       boot build/rpi4/sd/kernel8.img under QEMU's raspi4b

# `go tool yolk build -board rpi4` links the program with board/rpi4 at
# the firmware's load address and lays out the SD card directory (the
# ELF is kept there as kernel8.elf). The firmware files are copied when
# RPI4_FIRMWARE holds them (make rpi4-firmware).
RPI4_BUILD    := $(BUILD)/rpi4
RPI4_SD       := $(RPI4_BUILD)/sd
RPI4_FIRMWARE ?= $(RPI4_BUILD)/firmware
RPI4_APP      ?= $(APP)

.PHONY: rpi4 rpi4-image rpi4-firmware flash test-rpi4 qemu-rpi4

rpi4: toolchain
	$(YOLK) build -board rpi4 -o $(RPI4_SD) $(if $(wildcard $(RPI4_FIRMWARE)/start4.elf),-firmware $(RPI4_FIRMWARE)) $(RPI4_APP)

rpi4-image: rpi4
	$(YOLK) image -o $(RPI4_BUILD)/yolk-sd.img $(RPI4_SD)

rpi4-firmware:
	board/rpi4/firmware.sh fetch $(RPI4_FIRMWARE)

flash:
	@test -n "$(DEV)" || { echo "usage: make flash DEV=/dev/sdX (the whole SD card)"; exit 2; }
	$(YOLK) flash $(if $(YES),-y) $(DEV) $(RPI4_SD)

qemu-rpi4: rpi4
	$(YOLK) run $(RPI4_SD)

test-rpi4: toolchain
	go vet -unsafeptr=false ./board/rpi4/... ./drivers/bcm2711/... ./test/rpi4/...
	go test -count=1 ./board/rpi4/... ./drivers/bcm2711/... ./test/rpi4/...
