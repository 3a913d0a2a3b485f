//go:build tamago

package netstack

import (
	"net"
	"net/netip"
)

// InstallSockets makes the net package use st for every socket.
func (st *Stack) InstallSockets() { net.SocketFunc = st.Socket }

// setNameservers points the resolver at the configured servers.
func setNameservers(dns []netip.AddrPort) {
	var ns []string
	for _, a := range dns {
		ns = append(ns, a.String())
	}
	net.SetDefaultNS(ns)
}
