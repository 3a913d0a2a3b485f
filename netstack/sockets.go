package netstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// Socket opens what the net package asks for, with the arguments of
// net.SocketFunc: a TCP listener (local address only), a TCP connection,
// or a UDP socket (connected when raddr is set).
func (st *Stack) Socket(ctx context.Context, network string, family, sotype int, laddr, raddr net.Addr) (any, error) {
	if raddr == nil && (network == "tcp" || network == "udp") && unspecified(laddr) {
		// The net package on tamago asks for IPv4 here (it probes no
		// IPv4-mapped IPv6); a wildcard listen on "tcp" or "udp" means
		// both, as on Linux.
		family = syscall.AF_INET6
	}
	switch sotype {
	case syscall.SOCK_STREAM:
		if raddr == nil {
			la, proto, err := fullAddr(laddr, family)
			if err != nil {
				return nil, err
			}
			return gonet.ListenTCP(st.S, la, proto)
		}
		ra, proto, err := fullAddr(raddr, family)
		if err != nil {
			return nil, err
		}
		if laddr != nil {
			la, _, err := fullAddr(laddr, family)
			if err != nil {
				return nil, err
			}
			if la.Addr.Len() != 0 || la.Port != 0 {
				return gonet.DialTCPWithBind(ctx, st.S, la, ra, proto)
			}
		}
		return gonet.DialContextTCP(ctx, st.S, ra, proto)
	case syscall.SOCK_DGRAM:
		var la, ra *tcpip.FullAddress
		proto := tcpip.NetworkProtocolNumber(ipv4.ProtocolNumber)
		if family == syscall.AF_INET6 {
			proto = ipv6.ProtocolNumber
		}
		if laddr != nil {
			a, p, err := fullAddr(laddr, family)
			if err != nil {
				return nil, err
			}
			la, proto = &a, p
		}
		if raddr != nil {
			a, p, err := fullAddr(raddr, family)
			if err != nil {
				return nil, err
			}
			ra, proto = &a, p
		}
		return gonet.DialUDP(st.S, la, ra, proto)
	}
	return nil, fmt.Errorf("netstack: %s sockets (type %d) are not supported", network, sotype)
}

// unspecified reports whether a is nil or an address with the
// unspecified IP.
func unspecified(a net.Addr) bool {
	switch a := a.(type) {
	case nil:
		return true
	case *net.TCPAddr:
		return a == nil || a.IP == nil || a.IP.IsUnspecified()
	case *net.UDPAddr:
		return a == nil || a.IP == nil || a.IP.IsUnspecified()
	}
	return false
}

// fullAddr converts a net address; IPv4 (also IPv4-mapped) goes over
// IPv4, the unspecified address of an AF_INET6 socket listens on both.
func fullAddr(a net.Addr, family int) (tcpip.FullAddress, tcpip.NetworkProtocolNumber, error) {
	var ip net.IP
	var port int
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, port = a.IP, a.Port
	case *net.UDPAddr:
		ip, port = a.IP, a.Port
	default:
		return tcpip.FullAddress{}, 0, errors.New("netstack: unsupported address type")
	}
	fa := tcpip.FullAddress{NIC: 0, Port: uint16(port)}
	switch {
	case ip == nil || ip.IsUnspecified():
		if family == syscall.AF_INET6 {
			return fa, ipv6.ProtocolNumber, nil
		}
		return fa, ipv4.ProtocolNumber, nil
	case ip.To4() != nil:
		fa.Addr = tcpip.AddrFrom4Slice(ip.To4())
		return fa, ipv4.ProtocolNumber, nil
	default:
		fa.Addr = tcpip.AddrFrom16Slice(ip.To16())
		if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() {
			fa.NIC = nicID
		}
		return fa, ipv6.ProtocolNumber, nil
	}
}
