package genet

import (
	"encoding/binary"
	"fmt"

	"github.com/yolkos/yolk/drivers/dma"
)

// RxFrame checks a received frame's length/status word against the
// buffer it describes (bufLen bytes) and returns where the Ethernet
// frame lies in the buffer: [rxPrefix, end). The frame must be whole (SOP
// and EOP), error-free, at least an Ethernet header and at most a
// full-size frame, and fit the buffer after its status block and two
// bytes of padding.
func RxFrame(status uint32, bufLen int) (end int, err error) {
	n := int(status >> descLenShift & descLenMask)
	switch {
	case status&(descSOP|descEOP) != descSOP|descEOP:
		return 0, fmt.Errorf("%w: status %#x is not a whole frame (SOP and EOP)", ErrBadDescriptor, status)
	case status&rxErrors != 0:
		return 0, fmt.Errorf("%w: status %#x reports a receive error", ErrBadDescriptor, status)
	case n > bufLen:
		return 0, fmt.Errorf("%w: %d bytes received into a %d-byte buffer", ErrBadDescriptor, n, bufLen)
	case n < rxPrefix+HeaderLen:
		return 0, fmt.Errorf("%w: %d bytes, shorter than an Ethernet header", ErrBadDescriptor, n)
	case n > rxPrefix+MaxFrame+4:
		// 4: a VLAN tag, which the MAC lets through and the stack drops.
		return 0, fmt.Errorf("%w: a %d-byte frame exceeds %d bytes", ErrBadDescriptor, n-rxPrefix, MaxFrame+4)
	}
	return n, nil
}

// Poll takes up to budget descriptors from the receive ring (every one
// there is if budget <= 0), hands their frames to deliver, in order, and
// gives the buffers back to the controller; it returns how many it took,
// frames dropped included. The frame is only valid during the call. The receive
// interrupt stays off from the interrupt that announced the frames until
// Rearm. Bad descriptors are counted and dropped; an index the controller
// could not have produced stops the driver with an error.
func (d *Device) Poll(budget int, deliver func(frame []byte)) (int, error) {
	d.rxMu.Lock()
	defer d.rxMu.Unlock()
	if err := d.Err(); err != nil {
		return 0, err
	}
	d.Stats.Polls.Add(1)
	// kernel/reg orders this read before the buffer reads below.
	prod := uint16(d.r.Read(rxRing(ringRxProdIndex)))
	ready := int(prod - d.rxCons) // modulo 2^16
	if ready > descCount {
		return 0, d.fail(fmt.Errorf("%w: receive producer index %#x is %d ahead of the consumer index %#x (ring of %d)", ErrIndexJump, prod, ready, d.rxCons, descCount))
	}
	if budget > 0 {
		ready = min(ready, budget)
	}
	for range ready {
		i := int(d.rxCons % descCount)
		buf := d.rxBufs.Buf(i)
		// The status block's first word is the frame's length/status.
		dma.ForCPU(buf[:statusBlock])
		status := binary.LittleEndian.Uint32(buf)
		end, err := RxFrame(status, len(buf))
		if err != nil {
			d.Stats.RxErrors.Add(1)
			d.Stats.RxDrops.Add(1)
		} else {
			dma.ForCPU(buf[statusBlock:end])
			frame := buf[rxPrefix:end]
			d.Stats.RxFrames.Add(1)
			d.Stats.RxBytes.Add(uint64(len(frame)))
			deliver(frame)
		}
		d.rxCons++
	}
	if ready > 0 {
		// The buffers are the controller's again (kernel/reg orders the
		// reads of them above before this write).
		d.r.Write(rxRing(ringRxConsIndex), uint32(d.rxCons))
	}
	return ready, nil
}

// Rearm turns the receive interrupt back on after a Poll that took less
// than its budget and reports whether frames arrived meanwhile (poll
// again then: the interrupt for them may have come while it was off).
func (d *Device) Rearm() bool {
	d.rxMu.Lock()
	defer d.rxMu.Unlock()
	d.r.Write(regIntrl2Clear, irqRxDMADone)
	d.r.Write(regIntrl2MaskClear, irqRxDMADone)
	return d.Err() == nil && uint16(d.r.Read(rxRing(ringRxProdIndex))) != d.rxCons
}

// udpChecksumOffset is where a UDP header's checksum is (RFC 768); TCP's
// is at 16.
const udpChecksumOffset = 6

// Queue copies a frame made of parts into the next transmit buffer; Flush
// hands the queued frames to the DMA. If csumStart is not 0 the
// controller completes the transport checksum: it sums the frame from
// csumStart to its end into the 16 bits at csumStart+csumOffset, which
// hold the pseudo-header sum (the transmit status block's checksum
// request; offset 6 is UDP's checksum, whose zero the controller sends as
// 0xffff). Queue returns ErrFull when every descriptor is in flight and
// none comes back.
func (d *Device) Queue(parts [][]byte, csumStart, csumOffset uint16) error {
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	if size < HeaderLen || size > MaxFrame {
		d.Stats.TxErrors.Add(1)
		d.Stats.TxDrops.Add(1)
		return fmt.Errorf("genet: cannot send a %d-byte frame (%d to %d bytes)", size, HeaderLen, MaxFrame)
	}
	if csumStart != 0 && (csumStart < HeaderLen || int(csumStart)+int(csumOffset)+2 > size) {
		d.Stats.TxErrors.Add(1)
		d.Stats.TxDrops.Add(1)
		return fmt.Errorf("genet: checksum at %d+%d outside a %d-byte frame", csumStart, csumOffset, size)
	}
	d.txMu.Lock()
	defer d.txMu.Unlock()
	if err := d.Err(); err != nil {
		return err
	}
	if d.inflight == descCount {
		if err := d.reclaim(); err != nil {
			return err
		}
		if d.inflight == descCount {
			d.Stats.TxFull.Add(1)
			return ErrFull
		}
	}
	i := int(d.txProd % descCount)
	buf := d.txBufs.Buf(i)
	clear(buf[:txPrefix])
	status := uint32(descSOP | descEOP | txAppendCRC | txQTag)
	if csumStart != 0 {
		info := txCsumValid | uint32(csumStart)<<txCsumStartShift | uint32(csumStart+csumOffset)
		if csumOffset == udpChecksumOffset {
			info |= txCsumUDP
		}
		binary.LittleEndian.PutUint32(buf[txCsumInfo:], info)
		status |= txDoCsum
	}
	n := txPrefix
	for _, p := range parts {
		n += copy(buf[n:], p)
	}
	if n < txPrefix+minFrame {
		clear(buf[n : txPrefix+minFrame])
		n = txPrefix + minFrame
	}
	dma.ForDevice(buf[:n])
	d.r.Write(txDesc(uint32(i), descStatus), uint32(n)<<descLenShift|status)
	d.txProd++
	d.inflight++
	d.queued++
	d.Stats.TxFrames.Add(1)
	d.Stats.TxBytes.Add(uint64(size))
	return nil
}

// Flush gives the controller the frames queued since the last Flush: one
// write of the producer index for any number of them.
func (d *Device) Flush() {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	if d.queued == 0 || d.Err() != nil {
		return
	}
	d.queued = 0
	d.Stats.Kicks.Add(1)
	d.r.Write(txRing(ringTxProdIndex), uint32(d.txProd))
}

// Reclaim collects the transmit descriptors the controller is done with.
func (d *Device) Reclaim() error {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	if err := d.Err(); err != nil {
		return err
	}
	return d.reclaim()
}

func (d *Device) reclaim() error {
	cons := uint16(d.r.Read(txRing(ringTxConsIndex)))
	done := int(cons - d.txCons)
	if done > d.inflight-d.queued {
		return d.fail(fmt.Errorf("%w: transmit consumer index %#x is %d past %#x, with %d frames handed over", ErrIndexJump, cons, done, d.txCons, d.inflight-d.queued))
	}
	d.txCons = cons
	d.inflight -= done
	return nil
}

// InFlight is the number of frames queued and not yet reclaimed.
func (d *Device) InFlight() int {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	return d.inflight
}
