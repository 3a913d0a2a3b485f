// Package mailbox talks to the VideoCore firmware of the BCM2711
// (Raspberry Pi 4) through the mailbox property interface: the ARM writes
// the bus address of a message buffer to mailbox 1 on channel 8, the
// firmware answers in place and posts the same address back on mailbox 0.
//
// The message format and the tags are those of the Raspberry Pi firmware
// wiki, "Mailbox property interface": a buffer of 32-bit words
//
//	size (bytes), code (0 = request; 0x80000000 = success, 0x80000001 = error),
//	tags..., 0 (end tag), padding
//
// each tag being
//
//	id, value buffer size (bytes), request/response code, value buffer
//
// where the firmware sets bit 31 of the third word and the length of its
// answer in the low bits.
//
// The encoding (this file) is plain Go and is tested on the host; the
// hardware access (mailbox.go) needs the board's mailbox registers.
package mailbox

import (
	"errors"
	"fmt"
)

// Tags (firmware wiki, "Mailbox property interface").
const (
	TagFirmwareRevision = 0x0000_0001
	TagBoardModel       = 0x0001_0001
	TagBoardRevision    = 0x0001_0002
	TagBoardMAC         = 0x0001_0003
	TagBoardSerial      = 0x0001_0004
	TagARMMemory        = 0x0001_0005
	TagVCMemory         = 0x0001_0006
	TagClockState       = 0x0003_0001
	TagClockRate        = 0x0003_0002
	TagMaxClockRate     = 0x0003_0004
	TagMinClockRate     = 0x0003_0007
	TagClockRateMeasure = 0x0003_0047
	TagTemperature      = 0x0003_0006
	TagMaxTemperature   = 0x0003_000a
)

// Clock IDs for the clock tags.
const (
	ClockEMMC  = 1
	ClockUART  = 2
	ClockARM   = 3
	ClockCore  = 4
	ClockV3D   = 5
	ClockH264  = 6
	ClockISP   = 7
	ClockSDRAM = 8
	ClockPixel = 9
	ClockPWM   = 10
	ClockEMMC2 = 12
)

// ClockName names a clock ID.
func ClockName(id uint32) string {
	names := map[uint32]string{ClockEMMC: "emmc", ClockUART: "uart", ClockARM: "arm", ClockCore: "core",
		ClockV3D: "v3d", ClockH264: "h264", ClockISP: "isp", ClockSDRAM: "sdram", ClockPixel: "pixel",
		ClockPWM: "pwm", ClockEMMC2: "emmc2"}
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprintf("clock%d", id)
}

const (
	codeRequest  = 0
	codeSuccess  = 0x8000_0000
	codeError    = 0x8000_0001
	tagResponse  = 1 << 31
	headerWords  = 2
	tagHeader    = 3
	maxTagValues = 8 // value words of the largest tag yolk sends
)

// MaxMessageWords is the length of the longest message Encode writes.
const MaxMessageWords = headerWords + tagHeader + maxTagValues + 1

// Errors a call can report. They are preallocated: calls work before the
// heap exists.
var (
	ErrTooLong    = errors.New("mailbox: message does not fit the buffer")
	ErrTimeout    = errors.New("mailbox: no answer from the firmware within 1s")
	ErrRejected   = errors.New("mailbox: the firmware reported an error parsing the request")
	ErrNoResponse = errors.New("mailbox: the firmware did not answer the tag (unknown tag?)")
	ErrBadReply   = errors.New("mailbox: malformed reply")
	// ErrUnreachable: the message buffer lies outside the VideoCore's
	// view of RAM (Mailbox.DMA), or the board has not set that view.
	ErrUnreachable = errors.New("mailbox: the VideoCore cannot address the message buffer (Mailbox.DMA)")
)

// Encode writes a message holding the single tag id with request values
// req into buf, reserving room for resp answer words, and returns the
// number of words used. buf must hold MaxMessageWords.
//
//go:nosplit
func Encode(buf []uint32, id uint32, req []uint32, resp int) (int, error) {
	vals := len(req)
	if resp > vals {
		vals = resp
	}
	if vals > maxTagValues || len(buf) < MaxMessageWords {
		return 0, ErrTooLong
	}
	n := headerWords + tagHeader + vals + 1
	buf[0] = uint32(4 * n)
	buf[1] = codeRequest
	buf[2] = id
	buf[3] = uint32(4 * vals)
	buf[4] = codeRequest
	for i := 0; i < vals; i++ {
		v := uint32(0)
		if i < len(req) {
			v = req[i]
		}
		buf[5+i] = v
	}
	buf[5+vals] = 0 // end tag
	return n, nil
}

// Decode checks the firmware's answer in buf (a message written by Encode
// for tag id) and copies its value words into resp. It returns the number
// of value bytes the firmware reported.
//
//go:nosplit
func Decode(buf []uint32, id uint32, resp []uint32) (int, error) {
	if len(buf) < headerWords+tagHeader+1 {
		return 0, ErrBadReply
	}
	switch buf[1] {
	case codeSuccess:
	case codeError:
		return 0, ErrRejected
	default:
		return 0, ErrBadReply
	}
	if buf[2] != id {
		return 0, ErrBadReply
	}
	if buf[4]&tagResponse == 0 {
		return 0, ErrNoResponse
	}
	n := int(buf[4] &^ tagResponse)
	room := int(buf[3])
	for i := range resp {
		resp[i] = 0
		if 4*i < n && 4*i < room && 5+i < len(buf) {
			resp[i] = buf[5+i]
		}
	}
	return n, nil
}

// Revision is a board revision code in the new-style format (bit 23 set),
// firmware wiki / Raspberry Pi documentation, "Revision codes":
//
//	bits 22-20 memory size, 19-16 manufacturer, 15-12 processor,
//	11-4 type, 3-0 revision
type Revision uint32

// NewStyle reports whether the code uses the bit-field format.
func (r Revision) NewStyle() bool { return r&(1<<23) != 0 }

// MemoryMiB is the RAM the board was built with.
func (r Revision) MemoryMiB() int { return 256 << (r >> 20 & 7) }

// Revision is the PCB revision, as in "1.4".
func (r Revision) Revision() string { return fmt.Sprintf("1.%d", r&0xf) }

// Processor names the SoC.
func (r Revision) Processor() string {
	switch r >> 12 & 0xf {
	case 0:
		return "BCM2835"
	case 1:
		return "BCM2836"
	case 2:
		return "BCM2837"
	case 3:
		return "BCM2711"
	case 4:
		return "BCM2712"
	}
	return fmt.Sprintf("processor %d", r>>12&0xf)
}

// Manufacturer names who built the board.
func (r Revision) Manufacturer() string {
	switch r >> 16 & 0xf {
	case 0:
		return "Sony UK"
	case 1:
		return "Egoman"
	case 2, 4:
		return "Embest"
	case 3:
		return "Sony Japan"
	case 5:
		return "Stadium"
	}
	return fmt.Sprintf("manufacturer %d", r>>16&0xf)
}

// Type names the model.
func (r Revision) Type() string {
	types := map[uint32]string{
		0x00: "A", 0x01: "B", 0x02: "A+", 0x03: "B+", 0x04: "2B", 0x06: "CM1", 0x08: "3B",
		0x09: "Zero", 0x0a: "CM3", 0x0c: "Zero W", 0x0d: "3B+", 0x0e: "3A+", 0x10: "CM3+",
		0x11: "4B", 0x12: "Zero 2 W", 0x13: "400", 0x14: "CM4", 0x15: "CM4S", 0x17: "5",
	}
	if t, ok := types[uint32(r>>4&0xff)]; ok {
		return t
	}
	return fmt.Sprintf("type %#x", uint32(r>>4&0xff))
}

// String describes the board, e.g. "Raspberry Pi 4B rev 1.4, 4096 MiB, BCM2711, Sony UK".
func (r Revision) String() string {
	if !r.NewStyle() {
		return fmt.Sprintf("old-style revision %#x", uint32(r))
	}
	return fmt.Sprintf("Raspberry Pi %s rev %s, %d MiB, %s, %s", r.Type(), r.Revision(), r.MemoryMiB(), r.Processor(), r.Manufacturer())
}
