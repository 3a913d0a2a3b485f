//go:build tamago

package rpi4

import (
	"fmt"
	"strings"
	"time"

	"github.com/yolkos/yolk/drivers/bcm2711/mailbox"
)

// FirmwareReport is what the VideoCore firmware told yolk at boot through
// the mailbox property interface. Fields the firmware did not answer stay
// zero and their errors are in Errors. Firmware (the mailbox) can be
// asked again at any time, e.g. for the temperature.
type FirmwareReport struct {
	Revision mailbox.Revision
	Model    uint32
	Serial   uint64
	Version  uint32 // firmware revision: its build time, Unix seconds

	ARM, VC mailbox.Memory // the memory split

	ARMHz, CoreHz, UARTHz, EMMC2Hz uint32
	MaxARMHz                       uint32

	TempMilliC, MaxTempMilliC uint32 // thousandths of a degree Celsius

	Errors []error
}

// Report is filled in before main runs.
var Report FirmwareReport

func readFirmware() {
	r := &Report
	if Firmware.Base == 0 {
		r.Errors = append(r.Errors, fmt.Errorf("no brcm,bcm2835-mbox node in the device tree"))
		return
	}
	note := func(what string, err error) {
		if err != nil {
			r.Errors = append(r.Errors, fmt.Errorf("%s: %w", what, err))
		}
	}
	var err error
	r.Revision, err = Firmware.BoardRevision()
	note("board revision", err)
	r.Model, err = Firmware.BoardModel()
	note("board model", err)
	r.Serial, err = Firmware.BoardSerial()
	note("board serial", err)
	r.Version, err = Firmware.FirmwareRevision()
	note("firmware revision", err)
	r.ARM, err = Firmware.ARMMemory()
	note("ARM memory", err)
	r.VC, err = Firmware.VCMemory()
	note("VC memory", err)
	for _, c := range []struct {
		id  uint32
		dst *uint32
	}{{mailbox.ClockARM, &r.ARMHz}, {mailbox.ClockCore, &r.CoreHz}, {mailbox.ClockUART, &r.UARTHz}, {mailbox.ClockEMMC2, &r.EMMC2Hz}} {
		*c.dst, err = Firmware.ClockRate(c.id)
		note(mailbox.ClockName(c.id)+" clock", err)
	}
	r.MaxARMHz, err = Firmware.MaxClockRate(mailbox.ClockARM)
	note("arm max clock", err)
	r.TempMilliC, err = Firmware.Temperature()
	note("temperature", err)
	r.MaxTempMilliC, err = Firmware.MaxTemperature()
	note("max temperature", err)
}

func (r *FirmwareReport) describe() string {
	if r.Revision == 0 {
		return "revision unknown (the firmware did not answer)"
	}
	s := fmt.Sprintf("%s (revision %#x), serial %016x", r.Revision, uint32(r.Revision), r.Serial)
	if r.Version > 1e9 {
		s += ", firmware of " + time.Unix(int64(r.Version), 0).UTC().Format("2006-01-02")
	}
	return s
}

func (r *FirmwareReport) split() string {
	if r.ARM.Size == 0 {
		return ""
	}
	return fmt.Sprintf(" (split: ARM %s, VideoCore %s)", r.ARM, r.VC)
}

func mhz(hz uint32) string { return fmt.Sprintf("%.1f MHz", float64(hz)/1e6) }

func (r *FirmwareReport) clocks() string {
	var parts []string
	for _, c := range []struct {
		name string
		hz   uint32
	}{{"arm", r.ARMHz}, {"core", r.CoreHz}, {"uart", r.UARTHz}, {"emmc2", r.EMMC2Hz}} {
		if c.hz != 0 {
			parts = append(parts, c.name+" "+mhz(c.hz))
		}
	}
	if r.MaxARMHz != 0 {
		parts = append(parts, "arm max "+mhz(r.MaxARMHz))
	}
	if len(parts) == 0 {
		return "unknown"
	}
	s := strings.Join(parts, ", ")
	if uartErr != nil || uartHz == 0 {
		s += "; console baud not programmed (no UART clock from the firmware)"
	} else {
		s += fmt.Sprintf("; console %d 8N1 from the %s UART clock", Baud, mhz(uartHz))
	}
	return s
}

func (r *FirmwareReport) temperature() string {
	if r.TempMilliC == 0 {
		return "unknown"
	}
	s := fmt.Sprintf("%.1f °C", float64(r.TempMilliC)/1000)
	if r.MaxTempMilliC != 0 {
		s += fmt.Sprintf(" (throttles at %.1f °C)", float64(r.MaxTempMilliC)/1000)
	}
	return s
}
