package capture

import (
	"fmt"
	"time"
)

// A Request is one request that went unanswered, as the client saw it on
// its connection.
type Request struct {
	Port     uint16    // the client's local port, which the guest sees as the source port
	Service  uint16    // the guest's port
	Sent     time.Time // when the client sent it (the host's clock, as the capture's)
	BytesOut int64     // bytes the client had written on the connection, the request's included
	BytesIn  int64     // bytes it had read from it when it gave up
	// Skew bounds how far Sent may be from the capture's clock (0:
	// sameClock); ClockOffset measures it.
	Skew time.Duration
}

// Side says where a request got lost.
type Side int

const (
	Unknown Side = iota // the capture cannot tell
	Host                // it never reached the guest, or its answer never reached the client: the host or QEMU's user network
	Guest               // the guest received it and answered late or never: yolk's (or the guest OS's) fault
)

func (s Side) String() string {
	return [...]string{"unknown", "host side", "guest side"}[s]
}

// A Verdict is where a request got lost, and the evidence.
type Verdict struct {
	Side   Side
	Reason string
	// Waited is when the guest kept the request (or the connection's
	// SYN) waiting, on the capture's clock, for a verdict of its own
	// lateness; zero otherwise. Whoever knows how much CPU time the host
	// gave the emulator then can tell a guest that was slow from one that
	// was not run.
	Waited [2]time.Time
}

func (v Verdict) String() string { return v.Side.String() + ": " + v.Reason }

// sameClock is how far apart the capture's clock and the client's may be
// when choosing, among connections that used the same port, the one the
// request went over. QEMU stamps a packet with its virtual clock (which
// runs with the host's while the machine runs) plus the host's wall clock
// at start-up in whole seconds (net/dump.c): up to a second or two off the
// client's clock, unless ClockOffset measured it. Durations within the
// capture are exact.
const sameClock = 3 * time.Second

// ClockOffset returns how far the capture's clock is ahead of the
// client's, from a connection the client opened at dialed from port to
// the guest's service port: the time of its first SYN in the capture
// minus dialed (plus the few milliseconds the SYN took to get there).
func ClockOffset(pkts []Packet, port, service uint16, dialed time.Time) (time.Duration, bool) {
	for _, p := range pkts {
		if p.Src.Port() == port && p.Dst.Port() == service && p.Flags&(SYN|ACK) == SYN {
			return p.Time.Sub(dialed), true
		}
	}
	return 0, false
}

// Classify decides from the capture's packets where req got lost. A guest
// that answers more than late after the request's last byte reached it
// answered late (its fault even if the client then got the answer);
// one that answered sooner, with the client still waiting, lost nothing:
// the answer stayed between QEMU and the client.
func Classify(pkts []Packet, req Request, late time.Duration) Verdict {
	conn, later := connection(pkts, req)
	if len(conn) == 0 && later != nil {
		// QEMU's user network opens its connection to the guest when it
		// accepts the client's on the host; its listening socket's
		// backlog is 1 (tcpx_listen in libslirp), so in a burst the
		// host drops SYNs and the client sends them again after 1, 3,
		// 7 s: host side (its ListenOverflows counter says so).
		return Verdict{Side: Host, Reason: fmt.Sprintf("the connection from port %d reached the guest only %v after the request was sent (give or take the clocks' 2 s), when the client had given up: the host held it", req.Port, later.Time.Sub(req.Sent).Round(100*time.Millisecond))}
	}
	if len(conn) == 0 {
		return Verdict{Side: Host, Reason: fmt.Sprintf("no connection from port %d to the guest's port %d in the capture: it never reached the guest", req.Port, req.Service)}
	}
	client := func(p Packet) bool { return p.Src.Port() == req.Port }
	syn, synack := -1, -1
	syns := 0
	for i, p := range conn {
		switch {
		case client(p) && p.Flags&(SYN|ACK) == SYN:
			syns++
			if syn < 0 {
				syn = i
			}
		case !client(p) && p.Flags&(SYN|ACK) == SYN|ACK && synack < 0:
			synack = i
		}
	}
	if syn < 0 {
		return Verdict{Side: Unknown, Reason: fmt.Sprintf("the capture has no SYN for the connection from port %d (it started later?)", req.Port)}
	}
	if synack < 0 {
		// An ACK that is not for this SYN: the guest still holds an
		// earlier connection between the same two ports (RFC 5961's
		// challenge ACK), where a TCP in TIME-WAIT may take the SYN as
		// a new connection (RFC 1122, 4.2.2.13; RFC 6191).
		for _, p := range conn[syn:] {
			if !client(p) && p.Flags&(SYN|ACK|RST) == ACK && p.Ack != conn[syn].Seq+1 {
				return Verdict{Side: Guest, Reason: fmt.Sprintf("the guest answered the connection's SYN with an ACK (ack %d, not %d) of an earlier connection between the same ports, which it still held %v after that connection's last packet",
					p.Ack, conn[syn].Seq+1, p.Time.Sub(lastBefore(pkts, req, conn[syn])).Round(time.Millisecond))}
			}
		}
		return Verdict{Side: Guest, Reason: fmt.Sprintf("the guest never answered the connection's SYN (%d sent over %v)", syns, conn[len(conn)-1].Time.Sub(conn[syn].Time).Round(time.Millisecond))}
	}
	// A SYN-ACK long after the first SYN: the guest let the first SYN go
	// unanswered (or answered it with an ACK of an earlier connection),
	// and the connection opened only when the SYN was sent again.
	if wait := conn[synack].Time.Sub(conn[syn].Time); wait > late {
		for _, p := range conn[syn:synack] {
			if !client(p) && p.Flags&(SYN|ACK|RST) == ACK && p.Ack != conn[syn].Seq+1 {
				return Verdict{Side: Guest, Reason: fmt.Sprintf("the guest answered the connection's SYN with an ACK (ack %d, not %d) of an earlier connection between the same ports, which it still held %v after that connection's last packet; the connection opened only %v later, when the SYN was sent again",
					p.Ack, conn[syn].Seq+1, p.Time.Sub(lastBefore(pkts, req, conn[syn])).Round(time.Millisecond), wait.Round(time.Millisecond))}
			}
		}
		return Verdict{Side: Guest, Reason: fmt.Sprintf("the guest answered the connection's SYN only %v after it arrived (%d sent)", wait.Round(time.Millisecond), syns),
			Waited: [2]time.Time{conn[syn].Time, conn[synack].Time}}
	}
	cisn, gisn := conn[syn].Seq+1, conn[synack].Seq+1
	// How far each side's data got, and when the request's last byte and
	// the first byte of an answer beyond what the client read passed.
	var cmax, gmax int64
	var got, answered time.Time
	var retrans int
	for _, p := range conn {
		if p.Len == 0 {
			continue
		}
		if client(p) {
			end := int64(p.Seq-cisn) + int64(p.Len)
			if end <= cmax {
				retrans++
			}
			cmax = max(cmax, end)
			if got.IsZero() && end >= req.BytesOut {
				got = p.Time
			}
		} else {
			end := int64(p.Seq-gisn) + int64(p.Len)
			gmax = max(gmax, end)
			if answered.IsZero() && !got.IsZero() && end > req.BytesIn {
				answered = p.Time
			}
		}
	}
	last := conn[len(conn)-1].Time
	switch {
	case got.IsZero():
		return Verdict{Side: Host, Reason: fmt.Sprintf("the request never reached the guest: it received %d of the %d bytes the client had sent on the connection (%d segments sent again)", cmax, req.BytesOut, retrans)}
	case answered.IsZero():
		return Verdict{Side: Guest, Reason: fmt.Sprintf("the guest received the request and never answered it (it had sent %d bytes on the connection, all read by the client; the capture of the connection goes on %v after the request)",
			gmax, last.Sub(got).Round(time.Millisecond)), Waited: [2]time.Time{got, last}}
	case answered.Sub(got) > late:
		return Verdict{Side: Guest, Reason: fmt.Sprintf("the guest received the request and answered it %v later", answered.Sub(got).Round(time.Millisecond)),
			Waited: [2]time.Time{got, answered}}
	}
	return Verdict{Side: Host, Reason: fmt.Sprintf("the guest received the request and answered it %v later, but the answer did not reach the client", answered.Sub(got).Round(time.Millisecond))}
}

// connection returns the packets of the connection req went over: those
// between the client's port and the guest's service port, from the last
// SYN sent before the request (a port is used again by later connections)
// up to the next connection's SYN. If no connection started before the
// request, later is the first SYN after it.
func connection(pkts []Packet, req Request) (conn []Packet, later *Packet) {
	skew := req.Skew
	if skew == 0 {
		skew = sameClock
	}
	var isn uint32
	started := false
	for i, p := range pkts {
		fwd := p.Src.Port() == req.Port && p.Dst.Port() == req.Service
		back := p.Dst.Port() == req.Port && p.Src.Port() == req.Service
		if !fwd && !back {
			continue
		}
		if fwd && p.Flags&(SYN|ACK) == SYN && !(started && p.Seq == isn) {
			// A new connection, not the SYN sent again.
			if p.Time.After(req.Sent.Add(skew)) {
				if !started {
					later = &pkts[i]
				}
				break
			}
			conn, isn, started = conn[:0], p.Seq, true
		}
		conn = append(conn, p)
	}
	return conn, later
}

// lastBefore is the time of the last packet between req's ports before
// the SYN syn (that of the earlier connection), or syn's own.
func lastBefore(pkts []Packet, req Request, syn Packet) time.Time {
	t := syn.Time
	for _, p := range pkts {
		if !p.Time.Before(syn.Time) {
			break
		}
		if (p.Src.Port() == req.Port && p.Dst.Port() == req.Service) || (p.Dst.Port() == req.Port && p.Src.Port() == req.Service) {
			t = p.Time
		}
	}
	return t
}

// Handshakes summarizes how the guest answered the connections opened to
// its port service in [from, to) (capture time): how many connections'
// SYNs reached it, how many it answered with a SYN-ACK, how long it took
// (from the first SYN of a connection to its first SYN-ACK), and how many
// resets it sent.
type Handshakes struct {
	SYNs, Answered, Resets int
	Latency                []time.Duration // of each answered connection
}

// CountHandshakes returns the Handshakes of service between from and to.
func CountHandshakes(pkts []Packet, service uint16, from, to time.Time) Handshakes {
	type conn struct {
		port uint16
		isn  uint32
	}
	first := map[conn]time.Time{}
	answered := map[conn]bool{}
	var h Handshakes
	for _, p := range pkts {
		if p.Time.Before(from) || !p.Time.Before(to) {
			continue
		}
		switch {
		case p.Dst.Port() == service && p.Flags&(SYN|ACK) == SYN:
			c := conn{p.Src.Port(), p.Seq}
			if _, ok := first[c]; !ok {
				first[c] = p.Time
				h.SYNs++
			}
		case p.Src.Port() == service && p.Flags&(SYN|ACK) == SYN|ACK:
			c := conn{p.Dst.Port(), p.Ack - 1}
			if t, ok := first[c]; ok && !answered[c] {
				answered[c] = true
				h.Answered++
				h.Latency = append(h.Latency, p.Time.Sub(t))
			}
		case p.Src.Port() == service && p.Flags&RST != 0:
			h.Resets++
		}
	}
	return h
}
