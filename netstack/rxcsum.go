package netstack

import (
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// GRO merges only segments whose checksums are known to be good, and our
// gVisor's GRO, checking those no device vouched for, sums the payload
// from the wrong place: PacketData.ChecksumAtOffset counts its offset
// from the start of the buffer, not of the data, so with the Ethernet
// header consumed every such segment looks corrupt and is passed on
// unmerged. QEMU's user network offers no receive checksum offload, so
// nothing was merged there, and the stack acknowledged a bulk upload
// about every second frame where Linux, merging, acknowledges one in 25.
// So the link checks TCP segments itself before GRO (the stack then does
// not check them again), and GRO merges the good ones.

// tcpChecksumsOK reports whether pkt (network layer first) is a TCP
// segment over IPv4 without options or fragmentation, or directly over
// IPv6, whose IPv4 header checksum and TCP checksum are right. Anything
// else is false, left for the stack to check.
func tcpChecksumsOK(pkt *stack.PacketBuffer) bool {
	var src, dst tcpip.Address
	var hlen, total int
	switch pkt.NetworkProtocolNumber {
	case header.IPv4ProtocolNumber:
		b, ok := pkt.Data().PullUp(header.IPv4MinimumSize)
		if !ok {
			return false
		}
		h := header.IPv4(b)
		hlen, total = header.IPv4MinimumSize, int(h.TotalLength())
		if h.HeaderLength() != header.IPv4MinimumSize || h.FragmentOffset() != 0 || h.More() ||
			h.TransportProtocol() != header.TCPProtocolNumber || !h.IsChecksumValid() {
			return false
		}
		src, dst = h.SourceAddress(), h.DestinationAddress()
	case header.IPv6ProtocolNumber:
		b, ok := pkt.Data().PullUp(header.IPv6MinimumSize)
		if !ok {
			return false
		}
		h := header.IPv6(b)
		hlen, total = header.IPv6MinimumSize, header.IPv6MinimumSize+int(h.PayloadLength())
		if h.TransportProtocol() != header.TCPProtocolNumber {
			return false
		}
		src, dst = h.SourceAddress(), h.DestinationAddress()
	default:
		return false
	}
	if total < hlen+header.TCPMinimumSize || total > pkt.Data().Size() {
		return false
	}
	var sum uint16
	if total == pkt.Data().Size() {
		// Over the whole packet, in place, then the IP header taken out
		// (adding its ones' complement subtracts it, RFC 1071).
		hdr, _ := pkt.Data().PullUp(hlen)
		sum = checksum.Combine(pkt.Data().Checksum(), ^checksum.Checksum(hdr, 0))
	} else {
		// Ethernet padding follows: a small frame, summed flat.
		b, ok := pkt.Data().PullUp(total)
		if !ok {
			return false
		}
		sum = checksum.Checksum(b[hlen:], 0)
	}
	sum = checksum.Combine(sum, header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(total-hlen)))
	return sum == 0xffff
}
