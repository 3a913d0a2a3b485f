// Package nic is the seam between network device drivers and yolk's
// TCP/IP stack (package netstack): what a driver offers and what the
// stack hands it. It knows nothing of any particular device and nothing
// of the stack beyond gVisor's buffer type, in which received frames
// travel without a copy.
package nic

import (
	"net"

	"gvisor.dev/gvisor/pkg/buffer"
)

// Device is an Ethernet device as the stack sees it.
//
// The stack runs one goroutine per device that waits for the device's
// interrupt, then calls Poll until it returns less than its budget, Reclaim,
// and Rearm, polling again if Rearm reports frames (the NAPI pattern:
// one interrupt per burst, not per frame). Transmit may be called from any
// goroutine at the same time.
type Device interface {
	HardwareAddr() net.HardwareAddr
	// MTU is the largest IP packet without segmentation offload.
	MTU() int
	// Offloads reports what the device does for the stack.
	Offloads() Offloads
	// Transmit queues frames (copying them) and returns how many it
	// took: fewer than len(frames) when it has no room, which Reclaim
	// makes. A frame it cannot send is reported as an error after the
	// frames before it. The device may not look at queued frames before
	// Flush.
	Transmit(frames []Frame) (int, error)
	// Flush gets the device to send what Transmit queued: one
	// notification for any number of frames.
	Flush()
	// Reclaim collects the transmit buffers the device is done with.
	Reclaim() error
	// Poll hands up to budget received frames to deliver, in order, with
	// the receive interrupt off. An error means the device stopped.
	Poll(budget int, deliver func(Received)) (int, error)
	// Rearm turns the receive interrupt back on and reports whether
	// frames arrived before it took effect (then poll again).
	Rearm() bool
}

// Offloads is what a device does for the stack.
type Offloads struct {
	// TXChecksum: a frame may carry a partial transport checksum for the
	// device to complete (Frame.CsumStart).
	TXChecksum bool
	// RXChecksum: the device reports frames whose transport checksum it
	// vouches for (Received.ChecksumOK).
	RXChecksum bool
	// TSO4, TSO6: the device cuts TCP frames of up to MaxGSOFrame bytes
	// into segments (Frame.GSO).
	TSO4, TSO6 bool
}

// MaxGSOFrame is the largest frame with segmentation offload: an IP
// packet of 64 KiB and its Ethernet header.
const MaxGSOFrame = 65535 + 14

// Frame is a frame to send.
type Frame struct {
	// Parts are the frame, Ethernet header first.
	Parts [][]byte
	// CsumStart, CsumOffset: if CsumStart is not 0, the device completes
	// the transport checksum: it sums the frame from CsumStart to the end
	// and adds the result to the 16 bits at CsumStart+CsumOffset, which
	// hold the pseudo-header sum. Needs Offloads.TXChecksum.
	CsumStart, CsumOffset uint16
	// GSO, unless GSONone, asks the device to cut the frame into TCP
	// segments of GSOSize payload bytes; HdrLen is the length of the
	// Ethernet, IP and TCP headers. Needs the checksum set up too.
	GSO             GSOType
	GSOSize, HdrLen uint16
}

// GSOType is a segmentation offload kind.
type GSOType uint8

// Segmentation offloads.
const (
	GSONone GSOType = iota
	GSOTCPv4
	GSOTCPv6
)

// Received is a received frame.
type Received struct {
	// Frame is the Ethernet frame, header first; the receiver owns it.
	Frame buffer.Buffer
	// ChecksumOK: the device vouches for the transport checksum (it
	// checked it, or the frame comes from the host with a partial one),
	// so the stack need not check it.
	ChecksumOK bool
}

// Counter is one named count a device keeps (frames dropped, errors,
// interrupts). A device that keeps counters implements Counting.
type Counter struct {
	Name  string
	Value uint64
}

// Counting is a device that reports its counters.
type Counting interface {
	Counters() []Counter
}

// Resetter is a device that can start afresh after an error stopped it
// (frames in flight are lost).
type Resetter interface {
	Reset() error
}

// Linked is a device that reports its link.
type Linked interface {
	LinkUp() bool
	// LinkChanged reports whether the link may have changed since the
	// last call.
	LinkChanged() bool
}
