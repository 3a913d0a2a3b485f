//go:build !tamago

package main

import (
	"os"

	ytarget "github.com/yolkos/yolk/internal/target"
)

// The raspi4b target boots the same guest built for board/rpi4 (the
// build tag that makes package board link it) as the raw kernel8.img the
// Pi's firmware loads.
const (
	rpi4ELF   = buildDir + "/guest-rpi4.elf"
	rpi4Image = buildDir + "/guest-rpi4-kernel8.img"
	rpi4NoNet = "no network device on raspi4b"
	rpi4Board = "rpi4"
)

var rpi4Machine = ytarget.RPi4.Machine

// buildRPi4 builds the guest for board/rpi4 as elf and converts it to the
// raw image img.
func buildRPi4(elf, img string) error {
	gocmd, err := tamagoGo()
	if err != nil {
		return err
	}
	args := append([]string{"build"}, ytarget.RPi4.BuildFlags("", "-s -w")...)
	if _, err := command(ytarget.Env(), gocmd, append(args, "-o", elf, guestPkg)...); err != nil {
		return err
	}
	b, err := ytarget.RawImage(elf, ytarget.RPi4.Image)
	if err != nil {
		return err
	}
	return os.WriteFile(img, b, 0o644)
}
