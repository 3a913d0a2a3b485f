package netstack

import (
	"strings"
	"testing"
)

// FuzzParseStatic: ip=, gw= and dns= come from the boot arguments. What
// ParseStatic accepts is usable as it stands: an IPv4 prefix, a gateway
// on its network, servers with addresses; what it refuses, it names.
func FuzzParseStatic(f *testing.F) {
	for _, s := range [][3]string{
		{"10.0.2.15/24", "10.0.2.2", "10.0.2.3"}, {"", "", ""}, {"10.0.2.15/24", "", "10.0.2.3,10.0.2.2:5353"},
		{"10.0.2.20", "", ""}, {"fec0::1/64", "", ""}, {"10.0.2.15/24", "192.168.1.1", ""}, {"", "", ",,"},
		{"", "", "[::1]:53"}, {"10.0.2.15/33", "", ""}, {"", "garbage", "x"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, ip, gw, dns string) {
		addr, gateway, servers, err := ParseStatic(ip, gw, dns)
		if err != nil {
			if !strings.Contains(err.Error(), "ip=") && !strings.Contains(err.Error(), "gw=") && !strings.Contains(err.Error(), "dns=") {
				t.Fatalf("error %q names no setting", err)
			}
			return
		}
		if (ip != "") != addr.IsValid() || (addr.IsValid() && !addr.Addr().Is4()) {
			t.Fatalf("ip=%q gave %v", ip, addr)
		}
		if (gw != "") != gateway.IsValid() || (gateway.IsValid() && !gateway.Is4()) {
			t.Fatalf("gw=%q gave %v", gw, gateway)
		}
		if addr.IsValid() && gateway.IsValid() && !addr.Masked().Contains(gateway) {
			t.Fatalf("gateway %v off %v's network", gateway, addr)
		}
		for _, s := range servers {
			if !s.IsValid() {
				t.Fatalf("dns=%q gave %v", dns, servers)
			}
		}
		if len(servers) > strings.Count(dns, ",")+1 {
			t.Fatalf("dns=%q gave %d servers", dns, len(servers))
		}
	})
}
