package virtionet

import (
	"errors"
	"fmt"
)

// rxHeader is what a received frame's virtio_net_hdr says (5.1.6).
type rxHeader struct {
	buffers    int  // receive buffers the frame spans (num_buffers)
	checksumOK bool // NEEDS_CSUM or DATA_VALID, from a device that may set them
	gso        uint8
	gsoSize    uint16
	hdrLen     uint16
	csumStart  uint16
	csumOffset uint16
	needsCsum  bool
}

// ErrBadHeader wraps every header the device must not have written.
var ErrBadHeader = errors.New("virtionet: bad receive header")

func badHeader(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadHeader}, args...)...)
}

// ParseHeader reads the virtio_net_hdr at the start of b, the first
// buffer of a received frame, and checks every field against the
// accepted features (5.1.6.4): flags and GSO types only as negotiated,
// num_buffers only with merged buffers and within the queue. Fields that
// depend on the whole frame's length are checked by check. The number of
// buffers is reported even for a bad header, so the caller can skip
// them; it is 1 when num_buffers itself is what is wrong.
func ParseHeader(b []byte, features uint64) (rxHeader, error) {
	h := rxHeader{buffers: 1}
	if len(b) < HeaderLen+EthernetHeaderLen {
		return h, badHeader("%d-byte receive is shorter than the headers", len(b))
	}
	if features&FeatMrgRxbuf != 0 {
		nb := get16(b[10:])
		if nb == 0 || nb > queueSize {
			return h, fmt.Errorf("%w: num_buffers %d", errBroken, nb)
		}
		h.buffers = int(nb)
	}
	flags, gso := b[0], b[1]
	h.gso = gso
	h.hdrLen, h.gsoSize = get16(b[2:]), get16(b[4:])
	h.csumStart, h.csumOffset = get16(b[6:]), get16(b[8:])
	if flags&^(hdrNeedsCsum|hdrDataValid) != 0 {
		return h, badHeader("flags %#x", flags)
	}
	guestCsum := features&FeatGuestCsum != 0
	if flags&hdrNeedsCsum != 0 {
		if !guestCsum {
			return h, badHeader("NEEDS_CSUM without VIRTIO_NET_F_GUEST_CSUM")
		}
		if h.csumStart < EthernetHeaderLen {
			return h, badHeader("csum_start %d inside the Ethernet header", h.csumStart)
		}
		h.needsCsum = true
	}
	// DATA_VALID without GUEST_CSUM is tolerated (hosts pass their own
	// verdict through) but not trusted.
	h.checksumOK = guestCsum && flags != 0
	switch gso {
	case gsoNone:
	case gsoTCPv4, gsoTCPv6:
		need := uint64(FeatGuestTSO4)
		if gso == gsoTCPv6 {
			need = FeatGuestTSO6
		}
		if features&need == 0 {
			return h, badHeader("gso_type %d not negotiated", gso)
		}
		if !h.needsCsum {
			return h, badHeader("gso_type %d without NEEDS_CSUM", gso)
		}
		if h.gsoSize == 0 {
			return h, badHeader("gso_type %d with gso_size 0", gso)
		}
	default: // UDP and ECN need features yolk never accepts
		return h, badHeader("gso_type %#x", gso)
	}
	return h, nil
}

// check validates the fields that depend on the frame's length (n bytes
// after the header): the frame fits the limits, and a partial checksum
// and the segmentation header length lie inside it.
func (h rxHeader) check(n, maxFrame int) error {
	limit := MaxFrame
	if h.gso != gsoNone {
		limit = maxFrame
	}
	if n < EthernetHeaderLen || n > limit {
		return badHeader("%d-byte frame (%d to %d bytes)", n, EthernetHeaderLen, limit)
	}
	if h.needsCsum && int(h.csumStart)+int(h.csumOffset)+2 > n {
		return badHeader("checksum at %d+%d outside a %d-byte frame", h.csumStart, h.csumOffset, n)
	}
	if h.gso != gsoNone && int(h.hdrLen) > n {
		return badHeader("hdr_len %d beyond a %d-byte frame", h.hdrLen, n)
	}
	return nil
}
