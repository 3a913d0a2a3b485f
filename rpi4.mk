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

# The firmware loads kernel8.img at 0x80000 and enters at its first byte.
# The Go linker puts the ELF headers in the page below the text (-T), so
# the text starts one page above; mkimage turns the headers' first word
# into a branch to the entry point.
RPI4_TEXT     := 0x81000
RPI4_LDFLAGS  := -T $(RPI4_TEXT) -R 0x1000 -checklinkname=0
RPI4_BUILD    := $(BUILD)/rpi4
RPI4_SD       := $(RPI4_BUILD)/sd
RPI4_FIRMWARE ?= $(RPI4_BUILD)/firmware
RPI4_APP      ?= $(APP)
RPI4_DTB      := board/rpi4/testdata/bcm2711-rpi-4-b.dtb

.PHONY: rpi4 rpi4-image rpi4-firmware flash test-rpi4 qemu-rpi4

rpi4: toolchain
	TAMAGO=$(TAMAGO) RPI4_LDFLAGS="$(RPI4_LDFLAGS)" FIRMWARE_DIR=$(RPI4_FIRMWARE) \
		board/rpi4/build.sh $(RPI4_APP) $(RPI4_BUILD)

rpi4-image: rpi4
	board/rpi4/sdimage.sh $(RPI4_BUILD)/yolk-sd.img $(RPI4_SD)

rpi4-firmware:
	board/rpi4/firmware.sh fetch $(RPI4_FIRMWARE)

flash:
	@test -n "$(DEV)" || { echo "usage: make flash DEV=/dev/sdX (the whole SD card)"; exit 2; }
	board/rpi4/flash.sh $(if $(YES),-y) $(DEV) $(RPI4_SD)

qemu-rpi4: rpi4
	qemu-system-aarch64 -M raspi4b -dtb $(RPI4_DTB) -kernel $(RPI4_SD)/kernel8.img \
		-nographic -serial mon:stdio -monitor none -semihosting -no-reboot

test-rpi4: toolchain
	go vet -unsafeptr=false ./board/rpi4/... ./drivers/bcm2711/... ./test/rpi4/...
	YOLK_RPI4_LDFLAGS="$(RPI4_LDFLAGS)" go test -count=1 ./board/rpi4/... ./drivers/bcm2711/... ./test/rpi4/...
